mod audit;
mod cli;
mod parsing;
mod proxy;
mod upstream;
