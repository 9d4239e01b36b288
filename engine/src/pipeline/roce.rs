//! RoCE packets to queue-pair reassembly, and completed SENDs to LLC or CDC.

use super::reassembly::{Part, QpEvent, QpKey, QpPacket, Reassembly, Request, WriteTarget};
use super::{problem, smcr_send, Endpoints, EventKind, Found, Problem, Psns};
use dissect::capture::Ip;
use dissect::llc::SmcrControl;
use dissect::roce::{Opcode, Reth, RoceLayers};
use std::net::{IpAddr, Ipv6Addr};

/// Handles one parsed RoCE packet: `parsed` says why it could not be read,
/// if it could not; the packet is in `roce`. `ip` is None for RoCEv1 (the
/// GRH names the ends).
pub(super) fn packet(
    reassembly: &mut Reassembly,
    parsed: dissect::Result<()>,
    roce: &RoceLayers,
    ip: Option<&Ip>,
    keep: bool,
    emit: &mut impl FnMut(Endpoints, Found),
) {
    if let Err(e) = parsed {
        return emit(Endpoints::Undecoded, (problem(e), None));
    }
    // A packet read whole has its BTH.
    let Some(bth) = &roce.bth else { return };
    // Before the addresses: ACKs, a quarter of the packets, end here.
    let Some(request) = request(bth.opcode, roce.ext.reth) else {
        return;
    };
    // Borrowed, not copied, for RoCEv2: the addresses are copied once, into
    // the key, and into an event's Endpoints only when there is one.
    let gids;
    let ends = match (ip, &roce.grh) {
        (Some(ip), _) => ip,
        (None, Some(grh)) => {
            gids = Ip {
                src: IpAddr::V6(Ipv6Addr::from(grh.sgid)),
                dst: IpAddr::V6(Ipv6Addr::from(grh.dgid)),
            };
            &gids
        }
        (None, None) => return,
    };
    let qp = bth.dest_qp;
    let wire_payload_len = roce.truncated.map_or(roce.payload.len(), |t| t.payload_len);
    let p = QpPacket {
        key: QpKey { dst: ends.dst, qp },
        psn: bth.psn,
        request,
        payload: roce.payload,
        wire_payload_len,
    };
    let last = p.psn;
    reassembly.roce(&p, &mut |event, first| {
        let at = Endpoints::Qp {
            src: ends.src,
            dst: ends.dst,
            qp,
            psns: Psns { first, last },
        };
        emit(at, qp_event(event, keep))
    });
}

/// The RC requests SMC-R uses; everything else (ACKs, READs) is not followed.
fn request(op: Opcode, reth: Option<Reth>) -> Option<Request> {
    let target = reth.map(|r| WriteTarget {
        vaddr: r.vaddr,
        rkey: r.rkey,
        dma_length: r.dma_length,
    });
    Some(match op {
        Opcode::RC_SEND_FIRST => Request::Send(Part::First),
        Opcode::RC_SEND_MIDDLE => Request::Send(Part::Middle),
        Opcode::RC_SEND_LAST | Opcode::RC_SEND_LAST_WITH_IMMEDIATE | Opcode::RC_SEND_LAST_WITH_INVALIDATE => {
            Request::Send(Part::Last)
        }
        Opcode::RC_SEND_ONLY | Opcode::RC_SEND_ONLY_WITH_IMMEDIATE | Opcode::RC_SEND_ONLY_WITH_INVALIDATE => {
            Request::Send(Part::Only)
        }
        Opcode::RC_RDMA_WRITE_FIRST => Request::Write(Part::First, target),
        Opcode::RC_RDMA_WRITE_MIDDLE => Request::Write(Part::Middle, None),
        Opcode::RC_RDMA_WRITE_LAST | Opcode::RC_RDMA_WRITE_LAST_WITH_IMMEDIATE => {
            Request::Write(Part::Last, None)
        }
        Opcode::RC_RDMA_WRITE_ONLY | Opcode::RC_RDMA_WRITE_ONLY_WITH_IMMEDIATE => {
            Request::Write(Part::Only, target)
        }
        _ => return None,
    })
}

fn qp_event(event: QpEvent, keep: bool) -> Found {
    // One return, the pair built in place: a SEND's kind built apart and then
    // returned cost a 224-byte memcpy per event.
    match event {
        QpEvent::Send(bytes) => {
            let (parsed, message) = smcr_send(keep, &bytes);
            match parsed {
                Ok(SmcrControl::Llc(m)) => (EventKind::Llc(m), message),
                Ok(SmcrControl::Cdc(m)) => (EventKind::Cdc(m), message),
                // The codec's layer: CDC or LLC, as the first byte chose.
                Err(e) => (problem(e), message),
            }
        }
        QpEvent::SendCut { captured, len } => (
            EventKind::Problem(Problem::SendCut {
                captured: captured.len(),
                len,
            }),
            None,
        ),
        QpEvent::Write {
            target,
            bytes,
            packets,
        } => (
            EventKind::RdmaWrite {
                target,
                bytes,
                packets,
            },
            None,
        ),
        QpEvent::Broken { reason } => (EventKind::Problem(Problem::QpBroken { reason }), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dissect::{ErrorKind, Reason};
    use std::borrow::Cow;

    fn vector(name: &str) -> Vec<u8> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../corpora/vectors")
            .join(name);
        std::fs::read(path).expect("vector present")
    }

    fn send_problem(bytes: &[u8]) -> Problem {
        match qp_event(QpEvent::Send(Cow::Borrowed(bytes)), false).0 {
            EventKind::Problem(p) => p,
            other => panic!("parsed: {other:?}"),
        }
    }

    /// A broken SEND is a problem of the codec that rejected it, named as `read` names it.
    #[test]
    fn a_broken_send_says_its_layer_and_rule() {
        let mut cdc = vector("cdc/many-conns-f26-client-seq1-pf00-cf00.bin");
        cdc[1] = 0x2b;
        let p = send_problem(&cdc);
        assert_eq!((p.layer().name(), p.truncated()), ("cdc", false));
        assert!(matches!(
            p.error().map(|e| e.kind),
            Some(ErrorKind::Invalid {
                reason: Reason::SmcrCdcLength,
                ..
            })
        ));
        assert_eq!(
            p.to_string(),
            "CDC (SMC-R): field length at byte 1: invalid value 0x2b: SMC-R CDC length is 44"
        );
        let mut llc = vector("llc/late-link-f290-client-delete_link-v2.bin");
        llc[0] = 0x04; // DELETE_LINK v1, whose length must be 44
        llc[1] = 43;
        let p = send_problem(&llc);
        assert_eq!(p.layer().name(), "llc");
        assert!(matches!(
            p.error().map(|e| e.kind),
            Some(ErrorKind::Invalid {
                reason: Reason::LlcV1Length,
                ..
            })
        ));
    }
}
