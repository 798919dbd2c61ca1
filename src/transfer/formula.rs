//! CSV cells that spreadsheets would run as formulas. A text cell that
//! begins with `=`, `+`, `-`, `@`, a tab or a carriage return (OWASP's list)
//! is written with a leading `'`, which spreadsheets show as text; import
//! takes that `'` off again, so an export reads back exactly. A cell already
//! beginning with apostrophes before such a character gets one more, so
//! `'=x` survives the round trip too, while `'s-Hertogenbosch` is left alone.

const TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

fn starts_a_formula(text: &str) -> bool {
    text.trim_start_matches('\'').starts_with(TRIGGERS)
}

/// The cell as written to a CSV export.
pub fn neutralise(text: &str) -> String {
    if starts_a_formula(text) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

/// The cell as it was before [`neutralise`].
pub fn restore(text: &str) -> &str {
    match text.strip_prefix('\'') {
        Some(rest) if starts_a_formula(rest) => rest,
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_restored_exactly() {
        for text in [
            "=HYPERLINK(\"http://x\")",
            "+cmd|' /C calc'!A0",
            "-2",
            "@SUM(A1)",
            "\tx",
            "\rx",
            "'=x",
            "''+x",
        ] {
            let written = neutralise(text);
            assert!(written.starts_with('\''), "{text}");
            assert_eq!(restore(&written), text);
        }
    }

    #[test]
    fn ordinary_text_is_left_alone_both_ways() {
        for text in ["'s-Hertogenbosch", "Rochester", "", "'", "a=b", "Q883"] {
            assert_eq!(neutralise(text), text);
            assert_eq!(restore(text), text);
        }
    }
}
