//! `smc-analyze info`

use std::process::ExitCode;

use sys::kernel::genl::Genl;
use sys::kernel::ueid;
use sys::kernel::Error;

#[derive(clap::Args)]
pub struct Args {}

pub fn run(_: Args) -> Result<ExitCode, Error> {
    let mut g = Genl::smc()?;
    let info = ueid::sys_info(&mut g)?;
    let show = |v: Option<String>| v.unwrap_or_else(|| "-".into());
    let flag = |v: Option<bool>| show(v.map(|b| if b { "yes" } else { "no" }.to_string()));
    println!("version={}", show(info.version.map(|v| v.to_string())));
    println!("release={}", show(info.release.map(|v| v.to_string())));
    println!("smcr_v2={}", flag(info.smcr_v2));
    println!("ism_v2={}", flag(info.ism_v2));
    println!("hostname={}", show(info.hostname));
    println!("seid={}", show(info.seid));
    for u in ueid::list(&mut g)? {
        println!("ueid={u}");
    }
    Ok(ExitCode::SUCCESS)
}
