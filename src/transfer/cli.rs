//! `twinning import` and `twinning export`.

use super::{Format, ImportReport};
use crate::config::{ExportArgs, ImportArgs};
use crate::db::{DatabaseUrl, run_migrations};
use crate::tokens::Principal;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::{BufReader, BufWriter, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// Counts the bytes read, for the progress bar.
struct Counting<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

pub fn import_file(database_url: &str, args: &ImportArgs) -> Result<ImportReport, String> {
    let path = args.file.to_string_lossy().to_string();
    let format = args
        .format
        .or_else(|| Format::from_path(&path))
        .ok_or_else(|| {
            format!("cannot tell the format of {path}: name it .csv or .jsonl, or pass --format")
        })?;
    let file = std::fs::File::open(&args.file).map_err(|e| format!("{path}: {e}"))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let read = Arc::new(AtomicU64::new(0));
    let counted = Counting {
        inner: BufReader::with_capacity(1 << 16, file),
        read: read.clone(),
    };
    let reader: Box<dyn Read + Send> = if path.to_ascii_lowercase().ends_with(".gz") {
        Box::new(flate2::read::MultiGzDecoder::new(counted))
    } else {
        Box::new(counted)
    };
    let url = DatabaseUrl::parse(database_url)?;
    let mut conn = url.establish()?;
    run_migrations(&mut conn)?;
    if let crate::db::DbConnection::Sqlite(sqlite) = &mut conn {
        // A large page cache keeps the indexes in memory between commits
        // instead of spilling half-written pages to the WAL. The WAL is
        // copied back into the database file after up to 400 MB rather than
        // the default 4 MB: the import rewrites the same index pages in every
        // chunk, and each checkpoint would copy them again.
        use diesel::connection::SimpleConnection;
        sqlite
            .batch_execute("PRAGMA cache_size = -262144; PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = 100000;")
            .map_err(|e| e.to_string())?;
    }
    let bar = ProgressBar::new(size);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let author = Principal::command_line(&format!("import {:?}", args.kind).to_lowercase());
    let report = super::import(
        &mut conn,
        args.kind,
        reader,
        format,
        super::Options {
            all_or_nothing: args.all_or_nothing,
            strict: args.strict,
        },
        &author,
        |report: &ImportReport| {
            bar.set_position(read.load(Ordering::Relaxed));
            bar.set_message(format!(
                "{} created, {} updated, {} skipped, {} rejected",
                report.created, report.updated, report.skipped, report.rejected_count
            ));
        },
    )
    .map_err(|e| e.describe())?;
    bar.finish_and_clear();
    Ok(report)
}

pub fn import(database_url: &str, args: &ImportArgs) -> Result<(), String> {
    let started = Instant::now();
    let report = import_file(database_url, args)?;
    println!(
        "{}: {} created, {} updated, {} skipped, {} rejected, {} values dropped in {:.1} s",
        args.file.display(),
        report.created,
        report.updated,
        report.skipped,
        report.rejected_count,
        report.warning_count,
        started.elapsed().as_secs_f64()
    );
    if !report.ignored_columns.is_empty() {
        println!("ignored columns: {}", report.ignored_columns.join(", "));
    }
    for rejected in &report.rejected {
        println!("{}: {}", rejected.place(), rejected.reasons.join("; "));
    }
    for warning in &report.warnings {
        println!(
            "{}: {}: dropped {}: {}",
            warning.place(),
            warning.field,
            warning.value,
            warning.reason
        );
    }
    if report.warning_count > report.warnings.len() as u64 {
        println!(
            "… and {} more dropped values",
            report.warning_count - report.warnings.len() as u64
        );
    }
    if report.rejected_count > report.rejected.len() as u64 {
        println!(
            "… and {} more rejected",
            report.rejected_count - report.rejected.len() as u64
        );
    }
    if report.rolled_back {
        return Err("nothing was imported (--all-or-nothing and a record was rejected)".into());
    }
    Ok(())
}

pub fn export(database_url: &str, args: &ExportArgs) -> Result<(), String> {
    let url = DatabaseUrl::parse(database_url)?;
    let mut conn = url.establish()?;
    run_migrations(&mut conn)?;
    let count = match &args.output {
        Some(path) => {
            let file =
                std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
            super::export::export(&mut conn, args.kind, args.format, BufWriter::new(file))
        }
        None => super::export::export(
            &mut conn,
            args.kind,
            args.format,
            BufWriter::new(std::io::stdout().lock()),
        ),
    }
    .map_err(|e| e.describe())?;
    eprintln!("exported {count} {:?}", args.kind);
    Ok(())
}
