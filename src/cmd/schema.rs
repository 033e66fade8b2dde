use concerns::error::exit;
use concerns::Result;

use super::print_stdout;

#[derive(clap::Args, Debug)]
pub struct Args {}

pub fn run(_: Args) -> Result<i32> {
    print_stdout(concerns::results::schema().as_bytes())?;
    Ok(exit::OK)
}
