mod audit;
mod cli;
mod parsing;
mod proxy;
mod redact;
mod upstream;
