//! The `toolwall` binary: parse arguments, start logging, hand over to the library.
use clap::Parser;

fn main() {
    let cli = toolwall::cli::Cli::parse();
    toolwall::init_tracing(cli.log_format, &cli.log_level);
    std::process::exit(toolwall::cli::dispatch(cli));
}
