//! The `toolwall` binary: parse arguments, start logging, hand over to the library.
use clap::Parser;

/// mimalloc: the redaction engine and the proxy allocate per finding and per request, and
/// mimalloc takes fewer instructions per allocation than glibc's malloc (docs/performance.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let cli = toolwall::cli::Cli::parse();
    // The proxy logs a line per call: through a writer thread, so a slow stderr never blocks a
    // call. Other commands write their few lines directly.
    let writer = match &cli.command {
        toolwall::cli::Command::Run {
            log_buffer_lines, ..
        } => toolwall::LogWriter::NonBlocking {
            lines: *log_buffer_lines,
        },
        _ => toolwall::LogWriter::Direct,
    };
    let guard = toolwall::init_tracing(cli.log_format, &cli.log_level, writer);
    let code = toolwall::cli::dispatch(cli);
    // Write the lines still queued before exiting (process::exit runs no destructors).
    drop(guard);
    std::process::exit(code);
}
