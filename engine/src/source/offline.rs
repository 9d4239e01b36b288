//! A capture file opened for libpcap with a bigger stdio buffer than the
//! default (st_blksize, 4 KiB): at one read(2) per 4 KiB the system calls
//! cost a third of a long read. libpcap still reads and parses the file.

use std::ffi::{c_char, c_uint, c_void, CStr, CString};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::ptr::NonNull;

/// Stdio buffer of a capture file: fewer system calls, still cache-sized.
const BUFFER: usize = 256 * 1024;
/// PCAP_ERRBUF_SIZE
const ERRBUF: usize = 256;
/// PCAP_TSTAMP_PRECISION_NANO
const NANO: c_uint = 1;

#[link(name = "pcap")]
extern "C" {
    fn pcap_fopen_offline_with_tstamp_precision(
        fp: *mut libc::FILE,
        precision: c_uint,
        errbuf: *mut c_char,
    ) -> *mut c_void;
}

/// An open capture file and the buffer its stream reads into.
pub(super) struct Offline {
    /// Declared before `_buffer`, so it is closed (pcap_close, fclose)
    /// before the buffer is freed.
    pub capture: pcap::Capture<pcap::Offline>,
    _buffer: Box<[u8]>,
}

/// Opens `path` for reading with nanosecond timestamps.
pub(super) fn open(path: &Path) -> Result<Offline, String> {
    let name = CString::new(path.as_os_str().as_bytes()).map_err(|_| "the path holds a NUL byte")?;
    let mut buffer = vec![0u8; BUFFER].into_boxed_slice();
    let mut errbuf: [c_char; ERRBUF] = [0; ERRBUF];
    // SAFETY: `name` and the mode are NUL-terminated; setvbuf comes before
    // any I/O on the new stream, and `buffer` outlives the stream (Offline's
    // field order); on success libpcap owns `fp` and pcap_close closes it,
    // on failure it is left to us; `errbuf` has the size libpcap writes.
    unsafe {
        let fp = libc::fopen(name.as_ptr(), c"rb".as_ptr());
        if fp.is_null() {
            return Err(std::io::Error::last_os_error().to_string());
        }
        if libc::setvbuf(fp, buffer.as_mut_ptr().cast(), libc::_IOFBF, buffer.len()) != 0 {
            libc::fclose(fp);
            return Err("cannot set the stream buffer".into());
        }
        let pcap = pcap_fopen_offline_with_tstamp_precision(fp, NANO, errbuf.as_mut_ptr());
        match NonNull::new(pcap) {
            Some(pcap) => Ok(Offline {
                capture: pcap::Capture::from(pcap.cast()),
                _buffer: buffer,
            }),
            None => {
                libc::fclose(fp);
                Err(CStr::from_ptr(errbuf.as_ptr()).to_string_lossy().into_owned())
            }
        }
    }
}
