//! `smc-analyze live IFACE`: the read pipeline on a live interface, printing
//! the same lines or JSON as `read`. libpcap's drop counters go to stderr
//! every few seconds and at the end. Under sudo, root is given up for the
//! invoking user as soon as the capture is open.

use super::analyze::{self, Options};
use super::report::ReportArgs;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;
use sys::source::{LiveCapture, LiveConfig, LiveStats, DEFAULT_FILTER};

/// How often the drop counters are reported while capturing.
const STATS_EVERY: Duration = Duration::from_secs(5);

#[derive(clap::Args)]
pub struct Args {
    /// Interface to capture on (`any` for all of them)
    interface: String,
    /// BPF capture filter [default: SMC's TCP, RoCEv2 and RoCEv1 frames]
    #[arg(long, long_help = format!(
        "BPF capture filter [default: {DEFAULT_FILTER}]: TCP, RoCEv2 and RoCEv1, tagged or not \
         (on link types without Ethernet headers: tcp or udp port 4791)"))]
    filter: Option<String>,
    /// Print JSON Lines instead of summary lines
    #[arg(long)]
    json: bool,
    /// Bytes kept of each frame
    #[arg(long, default_value_t = 262_144)]
    snaplen: u32,
    /// Kernel capture buffer in MiB, where frames wait until read. With
    /// segmentation offload each frame takes a slot of the snaplen: libpcap's
    /// default 2 MiB holds 8 frames; 128 MiB kept up with 1 Gb/s on veth
    #[arg(long, value_name = "MIB", default_value_t = 128, value_parser = clap::value_parser!(u32).range(1..=2047))]
    buffer_size: u32,
    /// Stop after this many frames (those passing the filter)
    #[arg(long)]
    count: Option<u64>,
    /// Stop after this many seconds
    #[arg(long, value_name = "SECS")]
    duration: Option<f64>,
    /// TextSink the interface in promiscuous mode
    #[arg(long)]
    promisc: bool,
    /// Show each message's field tree with byte offsets (in JSON: a `tree` object)
    #[arg(short = 'V', long)]
    verbose: bool,
    #[command(flatten)]
    report: ReportArgs,
    /// Print lines even on a terminal (no terminal UI)
    #[arg(long)]
    no_ui: bool,
}

/// The live capture as the terminal UI's feed, with libpcap's drop counters.
struct LiveFeed(LiveCapture);

impl crate::ui::feed::Feed for LiveFeed {
    fn next(&mut self) -> Option<Result<engine::frame::Frame, engine::frame::SourceError>> {
        use engine::frame::FrameSource;
        self.0.next_frame()
    }

    fn dropped(&mut self) -> Option<u64> {
        let s = self.0.stats();
        Some(u64::from(s.dropped) + u64::from(s.if_dropped))
    }
}

pub fn run(args: Args) -> ExitCode {
    let name = args.interface.clone();
    let duration = match args.duration.map(Duration::try_from_secs_f64).transpose() {
        Ok(d) => d,
        Err(_) => {
            eprintln!("smc-analyze: --duration must be a number of seconds, zero or more");
            return ExitCode::FAILURE;
        }
    };
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        // A second signal while the first is handled ends the process outright.
        let registered = signal_hook::flag::register_conditional_shutdown(signal, 1, stop.clone())
            .and_then(|_| signal_hook::flag::register(signal, stop.clone()));
        if let Err(e) = registered {
            eprintln!("smc-analyze: cannot handle signal {signal}: {e}");
            return ExitCode::FAILURE;
        }
    }
    let config = LiveConfig {
        interface: args.interface,
        filter: args.filter,
        snaplen: args.snaplen,
        buffer_size: args.buffer_size << 20,
        promiscuous: args.promisc,
        count: args.count,
        duration,
        stop,
    };
    let lines =
        args.json || args.no_ui || args.verbose || args.report.findings || args.report.session.is_some();
    if !lines && crate::ui::available() {
        return crate::ui::run(crate::ui::Source::live(name.clone(), move || {
            let source = LiveCapture::open(config).map_err(|e| format!("{name}: {e}"))?;
            sys::privilege::drop_to_sudo_user().map_err(|e| e.to_string())?;
            Ok(LiveFeed(source))
        }));
    }
    let mut source = match LiveCapture::open(config) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("smc-analyze: {name}: {e}");
            return ExitCode::FAILURE;
        }
    };
    match sys::privilege::drop_to_sudo_user() {
        Ok(Some(d)) => eprintln!(
            "smc-analyze: running as {} (uid {}, gid {}) from here on",
            d.user.as_deref().unwrap_or("the sudo user"),
            d.uid,
            d.gid
        ),
        Ok(None) => {}
        Err(e) => {
            eprintln!("smc-analyze: {e}");
            return ExitCode::FAILURE;
        }
    }
    eprintln!(
        "smc-analyze: capturing on {name} (link type {}, filter: {})",
        source.link().0,
        source.filter()
    );
    let reported = name.clone();
    let mut last = LiveStats::default();
    source.report_every(STATS_EVERY, move |s| {
        if s != last {
            report(&reported, s);
            last = s;
        }
    });
    let opts = Options {
        json: args.json,
        verbose: args.verbose,
        report: args.report,
        prompt: true,
        stdout_is_capture: false,
    };
    let code = analyze::run(&name, &opts, &mut source, None, None);
    report(&name, source.stats());
    code
}

fn report(name: &str, s: LiveStats) {
    eprintln!(
        "smc-analyze: {name}: {} frames received by the filter, {} dropped by the kernel (buffer full), \
         {} dropped by the interface",
        s.received, s.dropped, s.if_dropped
    );
}
