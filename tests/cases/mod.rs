mod cli;
mod identity;
mod limits;
mod parsing;
mod proxy;
mod redis;
mod upstream;
