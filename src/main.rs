//! The `toolwall` binary: parse arguments, start logging, hand over to the library.
use clap::Parser;

/// mimalloc: the redaction engine and the proxy allocate per finding and per request, and
/// mimalloc takes fewer instructions per allocation than glibc's malloc (docs/performance.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let cli = toolwall::cli::Cli::parse();
    toolwall::init_tracing(cli.log_format, &cli.log_level);
    std::process::exit(toolwall::cli::dispatch(cli));
}
