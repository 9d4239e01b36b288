//! `smc-analyze ueid add|del|list|flush`

use std::process::ExitCode;

use clap::Subcommand;
use sys::kernel::genl::Genl;
use sys::kernel::ueid::{self, Ueid};
use sys::kernel::Error;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    op: Op,
}

#[derive(Subcommand)]
enum Op {
    /// Add a UEID (up to 32 of A-Z 0-9 . -; lower case is upper-cased)
    Add { name: String },
    /// Remove one UEID
    Del { name: String },
    /// List the UEIDs, one per line
    List,
    /// Remove all UEIDs
    Flush,
}

pub fn run(a: Args) -> Result<ExitCode, Error> {
    // Check the name before asking the kernel, so a typo is reported as such.
    let name = match &a.op {
        Op::Add { name } | Op::Del { name } => Some(Ueid::new(name)?),
        Op::List | Op::Flush => None,
    };
    let mut g = Genl::smc()?;
    match (a.op, name) {
        (Op::Add { .. }, Some(u)) => ueid::add(&mut g, &u)?,
        (Op::Del { .. }, Some(u)) => ueid::remove(&mut g, &u)?,
        (Op::List, _) => ueid::list(&mut g)?.iter().for_each(|u| println!("{u}")),
        (Op::Flush, _) => ueid::flush(&mut g)?,
        (Op::Add { .. } | Op::Del { .. }, None) => unreachable!("name checked above"),
    }
    Ok(ExitCode::SUCCESS)
}
