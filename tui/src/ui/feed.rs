//! The capture and engine thread: frames from a [`Feed`] through the
//! pipeline and the session engine; what they find is attributed to
//! sessions and published to the shared [`Store`] a batch at a time, so the
//! UI thread only ever locks for short, bounded moments.

use super::attribute::Attributor;
use super::store::Store;
use engine::frame::{Frame, FrameSource, SourceError};
use engine::pipeline::Pipeline;
use engine::session::Analyzer;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Where frames come from: a capture file, a live interface, made-up frames.
pub trait Feed: Send {
    /// The next frame; None when the source has ended.
    fn next(&mut self) -> Option<Result<Frame, SourceError>>;
    /// Frames the capture itself lost (kernel or interface drops), when known.
    fn dropped(&mut self) -> Option<u64> {
        None
    }
}

/// Any frame source is a feed (files and made-up frames).
pub struct Frames<S>(pub S);

impl<S: FrameSource + Send> Feed for Frames<S> {
    fn next(&mut self) -> Option<Result<Frame, SourceError>> {
        self.0.next_frame()
    }
}

/// Opens the feed on the engine thread (libpcap handles stay on one thread).
pub type Open = Box<dyn FnOnce() -> Result<Box<dyn Feed>, String> + Send>;

/// What the two threads share.
#[derive(Default)]
pub struct Shared {
    store: Mutex<Store>,
    pub stop: AtomicBool,
}

impl Shared {
    /// The store; a poisoned lock (only where panics unwind, as in unit
    /// tests) is taken as it is rather than panicking again.
    pub fn lock(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The engine thread's name, as a panic message shows it.
const THREAD: &str = "smc-engine";

/// Set to `engine`, the engine thread panics after its first batch: how the
/// tests check that a panic leaves the terminal as it was.
pub const TEST_PANIC: &str = "SMC_ANALYZE_TEST_PANIC";

/// Starts the engine thread on `open`; its errors are named `name`.
pub fn spawn(shared: Arc<Shared>, name: String, open: Open) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name(THREAD.into())
        .spawn(move || match open() {
            Ok(feed) => {
                let mut engine = Engine::new(feed).named(name);
                if std::env::var_os(TEST_PANIC).is_some_and(|v| v == "engine") {
                    engine.batch(&shared);
                    panic!("{TEST_PANIC}=engine: the engine thread panics on purpose");
                }
                engine.run(&shared)
            }
            Err(e) => {
                let mut store = shared.lock();
                store.error(e);
                store.done = true;
            }
        })
}

/// A publish happens at least this often while frames flow.
const BATCH_TIME: Duration = Duration::from_millis(20);
const BATCH_FRAMES: usize = 8192;

pub struct Engine {
    feed: Box<dyn Feed>,
    /// What the feed's errors are prefixed with.
    name: String,
    pipeline: Pipeline,
    analyzer: Analyzer,
    attributor: Attributor,
}

impl Engine {
    pub fn new(feed: Box<dyn Feed>) -> Self {
        Engine {
            feed,
            name: String::new(),
            pipeline: Pipeline::default().with_messages(),
            analyzer: Analyzer::default(),
            attributor: Attributor::default(),
        }
    }

    /// The feed's errors name `name` (the file or interface).
    pub fn named(mut self, name: String) -> Self {
        self.name = name;
        self
    }

    /// Runs until the feed ends or the UI asks to stop.
    pub fn run(mut self, shared: &Shared) {
        let mut more = true;
        while more && !shared.stop.load(Ordering::Relaxed) {
            more = self.batch(shared);
        }
        if !more {
            self.finish(shared);
        }
    }

    /// The feed ended: what reassembly held back, and every session's end.
    pub fn finish(&mut self, shared: &Shared) {
        let mut events = Vec::new();
        self.pipeline.finish(&mut events);
        let mut store = shared.lock();
        self.attributor.events(&events, &mut self.analyzer, &mut store);
        self.attributor.finish(&mut self.analyzer, &mut store);
        store.drops.reassembly = self.pipeline.drops();
        store.done = true;
    }

    /// One batch of frames, published under one lock; false at the end of the feed.
    pub fn batch(&mut self, shared: &Shared) -> bool {
        let start = Instant::now();
        let mut events = Vec::new();
        let mut frames = Vec::new();
        let mut errors = Vec::new();
        let mut more = true;
        while frames.len() < BATCH_FRAMES && start.elapsed() < BATCH_TIME {
            match self.feed.next() {
                Some(Ok(frame)) => {
                    let first = events.len();
                    self.pipeline.frame(&frame, &mut events);
                    frames.push((frame.number, frame.time, frame.data.len(), events.len() - first));
                }
                Some(Err(e)) => errors.push(format!("{}: {e}", self.name)),
                None => {
                    more = false;
                    break;
                }
            }
        }
        let dropped = self.feed.dropped();
        let mut store = shared.lock();
        for e in errors {
            store.error(e);
        }
        let mut at = 0;
        for (number, time, len, n) in frames {
            store.frame(number, time, len);
            self.attributor
                .events(&events[at..at + n], &mut self.analyzer, &mut store);
            at += n;
        }
        self.attributor.refresh(&self.analyzer, &mut store);
        store.drops.capture = dropped;
        store.drops.reassembly = self.pipeline.drops();
        store.over_caps = self.analyzer.over_caps;
        more
    }
}
