//! Verifying what is on disk: a directory of streams or one file, a stream's files in order,
//! torn and unsealed tails, the clean-close marker and the operator's expectations.

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use super::super::canonical::short;
use super::super::chain::{file_name, list_streams};
use super::super::keys::TrustedKeys;
use super::super::AuditError;
use super::*;

/// Verify a stream directory (every stream in it) or a single stream file.
pub fn verify_path(path: &Path, keys: &TrustedKeys) -> Report {
    verify_path_visiting(path, keys, Expect::default(), None)
}

/// [`verify_path`], handing every record that passed all checks to `visit`, in stream order
/// (for `audit show` and `replay`). When the report is invalid, the records visited are those
/// before the first error, which can include the altered one (a broken `prev` link is found on
/// the line after it): use the records only when the report is valid. Records of a live file
/// after its last checkpoint are visited too; the warnings say they are not sealed yet.
pub fn verify_path_with(path: &Path, keys: &TrustedKeys, visit: &mut Visitor<'_>) -> Report {
    verify_path_expect(path, keys, Expect::default(), visit)
}

/// [`verify_path_with`], also checking what the operator expects of the stream: at least
/// `expect.size` records, and the Merkle root over the first `expect.size` records (or over
/// all of them) equal to `expect.root`. Expectations need a single stream.
pub fn verify_path_expect(
    path: &Path,
    keys: &TrustedKeys,
    expect: Expect,
    visit: &mut Visitor<'_>,
) -> Report {
    verify_path_visiting(path, keys, expect, Some(visit))
}

/// [`verify_path_expect`]; with `visit` `None` the records are not handed out, so lines the
/// fast path finds canonical are never parsed into a tree (`audit verify`).
pub(crate) fn verify_path_visiting(
    path: &Path,
    keys: &TrustedKeys,
    expect: Expect,
    visit: Option<&mut Visitor<'_>>,
) -> Report {
    let keys = (!keys.is_empty()).then(|| keys.clone());
    let mut report = Report::default();
    if keys.is_none() {
        report.warnings.push(finding(
            &path.display().to_string(),
            0,
            Reason::SignaturesNotChecked,
            "no trusted keys given: checkpoint signatures were not checked".into(),
        ));
    }
    let result = if path.is_dir() {
        verify_dir(path, keys, expect, &mut report, visit)
    } else {
        verify_single_file(path, keys, expect, &mut report, visit)
    };
    match result {
        Ok(Ok(())) => report.valid = true,
        Ok(Err(f)) => report.error = Some(f),
        Err(e) => report.io_error = Some(e.to_string()),
    }
    report
}

fn verify_dir(
    dir: &Path,
    keys: Option<TrustedKeys>,
    expect: Expect,
    report: &mut Report,
    mut visit: Option<&mut Visitor<'_>>,
) -> Result<Result<(), Finding>, AuditError> {
    let streams = list_streams(dir)?;
    if streams.is_empty() {
        return Err(AuditError::Options(format!(
            "{}: no audit files (<stream>-NNNNNN.jsonl) found",
            dir.display()
        )));
    }
    if expect != Expect::default() && streams.len() > 1 {
        return Err(AuditError::Options(format!(
            "{}: holds {} streams; --expect-size/--expect-root need one (name one of its files' stream directory or file)",
            dir.display(),
            streams.len()
        )));
    }
    for (stream, files) in streams {
        let mut v = Verifier::new(&stream, keys.clone(), false);
        v.expect_size = expect.size;
        if let Err(f) = verify_stream(&mut v, &files, report, visit.as_deref_mut())? {
            return Ok(Err(f));
        }
        let marker = super::super::chain::closed_marker_path(dir, &stream);
        if let Err(f) = finish_stream(&v, &files, expect, Some(&marker), report)? {
            return Ok(Err(f));
        }
    }
    Ok(Ok(()))
}

fn verify_single_file(
    path: &Path,
    keys: Option<TrustedKeys>,
    expect: Expect,
    report: &mut Report,
    visit: Option<&mut Visitor<'_>>,
) -> Result<Result<(), Finding>, AuditError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let Some((stream, file_no)) = super::super::chain::parse_file_name(&name) else {
        return Err(AuditError::Options(format!(
            "{}: not an audit file name (<stream>-NNNNNN.jsonl)",
            path.display()
        )));
    };
    let bootstrap = file_no != 1;
    if bootstrap {
        report.warnings.push(finding(
            &name,
            1,
            Reason::PartialChain,
            "verified from this file's header; earlier files were not checked".into(),
        ));
    }
    let mut v = Verifier::new(&stream, keys, bootstrap);
    v.expect_size = expect.size;
    let files = vec![(file_no, path.to_path_buf())];
    if let Err(f) = verify_files(&mut v, &files, report, true, visit)? {
        return Ok(Err(f));
    }
    finish_stream(&v, &files, expect, None, report)
}

/// After a stream verified: record its size and root, check the operator's expectations and
/// the writer's clean-close marker, and warn when it does not end in a shutdown checkpoint.
fn finish_stream(
    v: &Verifier,
    files: &[(u64, PathBuf)],
    expect: Expect,
    marker: Option<&Path>,
    report: &mut Report,
) -> Result<Result<(), Finding>, AuditError> {
    let Some(state) = v.state.as_ref() else {
        return Ok(Ok(()));
    };
    let last = files
        .last()
        .map(|(no, _)| file_name(&v.stream, *no))
        .unwrap_or_default();
    let size = state.next_seq;
    let root = state.merkle.root();
    report.streams.push(StreamHead {
        stream: v.stream.clone(),
        size,
        root: super::super::canonical::hex(&root),
    });
    if let Some(want) = expect.size {
        if size < want {
            return Ok(Err(finding(
                &last,
                0,
                Reason::ExpectedSizeMismatch,
                format!(
                    "stream {} has {size} records, fewer than the {want} expected: records were removed from its end (truncated)",
                    v.stream
                ),
            )));
        }
    }
    if let Some(want) = expect.root {
        let got = match expect.size {
            Some(n) => match v.root_at_expected {
                Some(r) => r,
                None => {
                    return Err(AuditError::Options(format!(
                        "--expect-size {n} is before the first record of {last}: verify the whole directory"
                    )))
                }
            },
            None => root,
        };
        if got != want {
            let over = match expect.size {
                Some(n) => format!("the first {n} records"),
                None => format!("all {size} records"),
            };
            return Ok(Err(finding(
                &last,
                0,
                Reason::ExpectedRootMismatch,
                format!(
                    "Merkle root over {over} of stream {} is {}, expected {}: the stream was rewritten",
                    v.stream,
                    super::super::canonical::hex(&got),
                    super::super::canonical::hex(&want)
                ),
            )));
        }
    }
    let closed = match marker {
        Some(m) => super::super::chain::read_closed_marker(m)?,
        None => None,
    };
    if let Some(c) = closed {
        if !v.last_closed || c.size != size || c.root != root {
            return Ok(Err(finding(
                &last,
                0,
                Reason::MissingShutdownCheckpoint,
                format!(
                    "the writer closed stream {} cleanly at size {} (root {}), but it now has {size} records{}: truncated or extended after the shutdown",
                    v.stream,
                    c.size,
                    short(&c.root),
                    if v.last_closed { "" } else { " and does not end in its shutdown checkpoint" }
                ),
            )));
        }
    } else if !v.last_closed
        && !report
            .warnings
            .iter()
            .any(|w| w.reason == Reason::UnsealedRecords)
    {
        report.warnings.push(finding(
            &last,
            0,
            Reason::NotClosed,
            "the stream does not end in a shutdown checkpoint: toolwall is running, stopped without closing the stream, or the stream was truncated (check with --expect-size/--expect-root)".into(),
        ));
    }
    Ok(Ok(()))
}

fn verify_stream(
    v: &mut Verifier,
    files: &[(u64, PathBuf)],
    report: &mut Report,
    visit: Option<&mut Visitor<'_>>,
) -> Result<Result<(), Finding>, AuditError> {
    let stream = v.stream.clone();
    let stream = stream.as_str();
    for (expected, (no, _)) in (1u64..).zip(files) {
        if *no != expected {
            let missing = file_name(stream, expected);
            let at = file_name(stream, *no);
            return Ok(Err(finding(
                &at,
                1,
                Reason::MissingFile,
                format!("missing file {missing}: the stream jumps to {at}"),
            )));
        }
    }
    verify_files(v, files, report, false, visit)
}

fn verify_files(
    v: &mut Verifier,
    files: &[(u64, PathBuf)],
    report: &mut Report,
    single: bool,
    mut visit: Option<&mut Visitor<'_>>,
) -> Result<Result<(), Finding>, AuditError> {
    let base = Base {
        records: report.records,
        checkpoints: report.checkpoints,
        signatures: report.signatures,
    };
    for (i, (no, path)) in files.iter().enumerate() {
        // Streamed: one line in memory at a time, whatever the file's size.
        let file = fs::File::open(path).map_err(|e| AuditError::io(path, e))?;
        let reader = BufReader::with_capacity(READ_BUFFER, file);
        let name = file_name(&v.stream, *no);
        report.files += 1;
        let scanned = v
            .scan_file(&name, *no, reader, visit.as_deref_mut())
            .map_err(|e| AuditError::io(path, e))?;
        let scan = match scanned {
            Ok(scan) => scan,
            Err(f) => {
                sync_counts(base, v, report);
                return Ok(Err(f));
            }
        };
        sync_counts(base, v, report);
        let is_last = i + 1 == files.len();
        let recovered = if is_last {
            false
        } else {
            let next_path = &files[i + 1].1;
            let head = first_lines(next_path, 2).map_err(|e| AuditError::io(next_path, e))?;
            starts_with_recovery_of(&head, &name)
        };
        if let Some((line, offset)) = scan.torn {
            if !recovered {
                return Ok(Err(finding(
                    &name,
                    line,
                    Reason::TruncatedTail,
                    format!("truncated tail: line {line} (byte {offset}) is a partial record and no recovery record follows"),
                )));
            }
            report.warnings.push(finding(
                &name,
                line,
                Reason::RecoveredTornTail,
                format!("torn record at byte {offset} was recovered in the next file"),
            ));
        }
        if scan.unsealed > 0 {
            if is_last {
                let msg = format!(
                    "{} {} after the last checkpoint {} not yet sealed",
                    scan.unsealed,
                    plural(scan.unsealed, "record", "records"),
                    if scan.unsealed == 1 { "is" } else { "are" }
                );
                report.warnings.push(finding(
                    &name,
                    scan.first_unsealed_line,
                    Reason::UnsealedRecords,
                    msg,
                ));
            } else if !recovered && !single {
                return Ok(Err(finding(
                    &name,
                    scan.first_unsealed_line,
                    Reason::UnsealedRecords,
                    format!(
                        "unsealed records: {} {} from here to the end of a closed file {} no checkpoint",
                        scan.unsealed,
                        plural(scan.unsealed, "record", "records"),
                        if scan.unsealed == 1 { "has" } else { "have" }
                    ),
                )));
            }
        }
    }
    Ok(Ok(()))
}

/// Read buffer of a streamed file.
const READ_BUFFER: usize = 256 << 10;

/// The first `n` lines of a file (with their newlines), read no further.
fn first_lines(path: &Path, n: usize) -> std::io::Result<Vec<u8>> {
    let mut reader = BufReader::new(fs::File::open(path)?);
    let mut out = Vec::new();
    for _ in 0..n {
        if reader.read_until(b'\n', &mut out)? == 0 {
            break;
        }
    }
    Ok(out)
}

/// Counts before this stream, so that a directory with several streams adds them up.
#[derive(Clone, Copy)]
struct Base {
    records: u64,
    checkpoints: u64,
    signatures: u64,
}

fn sync_counts(base: Base, v: &Verifier, report: &mut Report) {
    report.records = base.records + v.records;
    report.checkpoints = base.checkpoints + v.checkpoints;
    report.signatures = base.signatures + v.signatures;
}
