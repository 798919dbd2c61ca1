//! Name normalisation for search: the same function turns a city's names into
//! index tokens and a query into prefixes, so both sides always agree.

use std::collections::BTreeSet;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Lower case, compatibility-decomposed, without diacritics: "Ōsaka" → "osaka",
/// "НОВГОРОД" → "новгород", "Ｓａｐｐｏｒｏ" → "sapporo".
pub fn normalise(text: &str) -> String {
    text.nfkd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The words of a text: runs of letters and digits in any script.
pub fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    let normalised = normalise(text);
    normalised
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect::<Vec<_>>()
        .into_iter()
}

/// Every distinct word of every name, as stored in the search index.
pub fn tokens<'a>(names: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
    names.into_iter().flat_map(words).collect()
}

/// The exclusive upper bound of the strings that start with `prefix`, for a
/// range scan on the (byte-ordered) token index.
pub fn prefix_upper_bound(prefix: &str) -> String {
    format!("{prefix}{}", char::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalising_folds_case_and_diacritics_in_any_script() {
        assert_eq!(normalise("Velikiy Nóvgorod"), "velikiy novgorod");
        assert_eq!(normalise("ВЕЛИКИЙ НОВГОРОД"), "великии новгород");
        assert_eq!(normalise("Великий"), normalise("великий"));
        assert_eq!(normalise("札幌市"), "札幌市");
        assert_eq!(normalise("Ｓａｐｐｏｒｏ"), "sapporo");
    }

    #[test]
    fn tokens_are_the_distinct_words_of_all_names() {
        let t = tokens(["Veliky Novgorod", "Великий Новгород", "Novgorod"]);
        let t: Vec<_> = t.into_iter().collect();
        assert_eq!(t, vec!["novgorod", "veliky", "великии", "новгород"]);
    }

    #[test]
    fn the_upper_bound_sorts_after_every_extension_of_the_prefix() {
        let upper = prefix_upper_bound("nov");
        assert!("novgorod" < upper.as_str());
        assert!("novosibirsk" < upper.as_str());
        assert!("nox" > upper.as_str());
    }
}
