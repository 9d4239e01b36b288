//! The conformance rule catalogue: what the session engine checks, each rule
//! with the kernel behaviour or spec text it stands on. Findings name a rule
//! and cite the frames that show the violation.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Unusual but tolerated by Linux.
    Warning,
    /// Linux rejects it, declines, drops it or tears the link group down.
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// One rule of the catalogue.
#[derive(Debug, PartialEq, Eq)]
pub struct Rule {
    pub id: &'static str,
    pub severity: Severity,
    /// What a violation is, in one line.
    pub summary: &'static str,
    /// The kernel behaviour or spec text the rule stands on.
    pub basis: &'static str,
}

macro_rules! catalogue {
    ($( $konst:ident = $id:literal, $sev:ident, $summary:literal, $basis:literal; )*) => {
        $( pub const $konst: &Rule = &Rule {
            id: $id,
            severity: Severity::$sev,
            summary: $summary,
            basis: $basis,
        }; )*
        /// Every rule, in catalogue order.
        pub const ALL: &[&Rule] = &[$($konst),*];
    };
}

catalogue! {
    CLC_PROPOSAL_LENGTH = "clc-proposal-length", Error,
        "Proposal length disagrees with the areas it declares",
        "smc_clc_msg_prop_valid(): length must be 40+40+prefix area+v2 ext+EIDs+SMC-Dv2 ext+GIDs+4 (v1: 40+iparea_offset+8+17n+4), else EPROTO";
    CLC_IPAREA_OFFSET = "clc-iparea-offset", Error,
        "Proposal iparea_offset points beyond the SMC-D area (> 40)",
        "smc_clc_proposal_get_prefix() returns NULL for iparea_offset > sizeof(smc_clc_msg_smcd); the Proposal is invalid";
    CLC_PREFIX_COUNT = "clc-ipv6-prefix-count", Error,
        "Proposal carries more than 8 IPv6 prefixes",
        "smc_clc_msg_prop_valid(): ipv6_prefixes_cnt > SMC_CLC_MAX_V6_PREFIX (8) is rejected";
    CLC_EID_COUNT = "clc-eid-count", Error,
        "Proposal v2 extension lists more than 8 EIDs",
        "smc_get_clc_v2_ext(): eid_cnt > SMC_CLC_MAX_UEID (8) makes the v2 extension invalid";
    CLC_ISM_GID_COUNT = "clc-ism-gid-count", Error,
        "Proposal v2 extension lists more than 8 ISM GIDs",
        "smc_get_clc_v2_ext(): ism_gid_cnt > SMCD_CLC_MAX_V2_GID_ENTRIES (8) makes the v2 extension invalid";
    CLC_NO_V2_EXT = "clc-v2-ext-missing", Error,
        "Proposal offers v2 but has no v2 extension",
        "smc_get_clc_v2_ext(): v2_ext_offset 0 or past the message means no extension; the listener declines NOV2EXT";
    CLC_V1_NOTHING = "clc-v1-offers-nothing", Error,
        "v1 Proposal with typev1 N offers no path",
        "smc_clc_msg_prop_valid(): a v1 Proposal with typev1 == SMC_TYPE_N is invalid";
    CLC_ACCEPT_CONFIRM_FORM = "clc-accept-confirm-form", Error,
        "Accept/Confirm with a path other than R or D, or a length Linux rejects",
        "smc_clc_msg_acc_conf_valid(): typev1 must be R or D; v1 lengths exactly 68 (R) / 48 (D); v2 SMC-D 78 or 78+FCE";
    CLC_DECLINE_LENGTH = "clc-decline-length", Error,
        "Decline whose length is not 28 (v1) or 44 (v2)",
        "smc_clc_msg_hdr_valid(): a Decline's length must equal the Decline struct";
    CLC_TRAILER = "clc-trailer", Error,
        "CLC trailer is neither SMCR nor SMCD",
        "smc_clc_msg_hdr_valid(): the trailer eyecatcher is checked on every message but a too-long one";
    CLC_UNEXPECTED = "clc-unexpected-message", Error,
        "CLC message of a type or from a side the handshake does not expect here",
        "smc_clc_wait_msg(): anything but the expected type or a Decline fails the handshake with EPROTO; only the client proposes and confirms, only the server accepts";
    CLC_VERSION_MISMATCH = "clc-version-mismatch", Error,
        "Accept version above what the Proposal offered, or Confirm version differs from the Accept",
        "af_smc.c: the server answers in a version the client offered (v2 only if typev2 != N); the client confirms in the Accept's version";
    CLC_PATH_NOT_OFFERED = "clc-path-not-offered", Error,
        "Accept chooses SMC-R or SMC-D that the Proposal did not offer for that version",
        "smc_listen_work(): the server picks among the offered typev1/typev2 paths; the client declines an Accept it cannot use";
    CLC_CONFIRM_MISMATCH = "clc-confirm-mismatch", Error,
        "Confirm disagrees with its Accept (path, first contact, release or v2.1 limits)",
        "smc_clc_v2x_features_confirm_check(): release, max_conns and max_links must equal the Accept's, else RELEASEERR / MAXCONNERR / MAXLINKERR";
    CLC_V21_LIMITS = "clc-v21-limits", Error,
        "v2.1 limits out of range: max_conns below 16 or max_links outside 1..2 at release v2.1 or later",
        "smc_clc_clnt_v2x_features_validate() (6.6+): from release 1 on, max_links must be 1..SMC_LINKS_ADD_LNK_MAX (2) and max_conns >= SMC_CONN_PER_LGR_MIN (16), else the client declines MAXLINKERR/MAXCONNERR; at release 0 (5.16-6.5 peers leave the 52-byte form's limits 0) nothing is checked";
    CLC_RELEASE_ABOVE_OFFER = "clc-release-above-offer", Warning,
        "Accept release above what the Proposal offered",
        "smc_listen_v2_check() (6.6+): a Linux server answers the lower of the offered release and its own; the client takes the Accept's release without a check (smc_connect_rdma_v2_prepare), so this is no handshake failure";
    CLC_DECLINE_SYNC_FLAG = "clc-decline-sync-flag", Warning,
        "Decline out-of-sync flag disagrees with its diagnosis",
        "smc_clc_send_decline(): the flag is set exactly when the diagnosis is SYNCERR (0x04000000); a receiver terminates the link group on it";
    LLC_NO_RMBE_EYEC = "llc-confirm-link-eyecatcher", Error,
        "CONFIRM_LINK without the NO_RMBE_EYEC flag",
        "smc_llc_eval_conf_link(): !(flags & SMC_LLC_FLAG_NO_RMBE_EYEC) returns -ENOTSUPP and the link is not confirmed";
    LLC_RESPONSE_WITHOUT_REQUEST = "llc-response-without-request", Error,
        "LLC response with no request of that type outstanding from the peer (each of several outstanding requests may be answered)",
        "smc_llc_rx_response() (5.10-6.12): responses outside the local flow are dropped (\"drop out-of-flow response\"); a responder answers queued requests one by one (smc_llc_event_work), so a peer that pipelines gets one answer each";
    LLC_CONFIRM_LINK_OUT_OF_FLOW = "llc-confirm-link-out-of-flow", Error,
        "CONFIRM_LINK request outside link setup (not the server's first LLC, nor after an accepted ADD_LINK)",
        "smc_llc_event_handler(): CONFIRM_LINK is only taken by a waiting local flow, else dropped; link ids are assigned by the server";
    LLC_ADD_LINK_CONT_OUT_OF_FLOW = "llc-add-link-cont-out-of-flow", Error,
        "ADD_LINK_CONT outside an ADD_LINK exchange",
        "smc_llc_event_handler(): ADD_LINK_CONT is only taken by a waiting ADD_LINK flow, else dropped";
    LLC_UNKNOWN_TYPE = "llc-unknown-type", Warning,
        "LLC message of a type Linux does not know",
        "smc_wr_rx_demultiplex() (5.10-6.12): a type byte no handler is registered for is dropped without a word (5.10 registers no REQ_ADD_LINK v1; 5.16+ adds the v2 types but not 0x23 or 0x28); the link goes on";
    LLC_TEST_LINK_UNANSWERED = "llc-test-link-unanswered", Warning,
        "TEST_LINK request not answered within 2 s",
        "smc_llc_testlink_work() (5.10-6.12): a Linux requester waits SMC_LLC_WAIT_TIME (2 s), then takes the link down; other peers may wait longer, and a DELETE_LINK clears the wait (smc_llc_link_clear)";
    CDC_SEQ_ORDER = "cdc-seq-out-of-order", Error,
        "CDC sequence number not after the previous one from the same side",
        "smc_cdc_msg_recv(): smc_cdc_before(seqno, rx seqno) messages are stale and ignored; a sender increments tx_cdc_seq per CDC";
    CDC_CURSOR_BACKWARDS = "cdc-cursor-backwards", Error,
        "CDC producer or consumer cursor moved backwards",
        "smc_cdc_msg_recv_action(): cursors only advance (smc_curs_diff clamps a negative move to 0)";
    CDC_CURSOR_BEYOND_RING = "cdc-cursor-beyond-ring", Error,
        "CDC cursor outside the ring, jumping more than one ring, or the producer overrunning the consumer",
        "smc_curs_add(): count stays below the RMBE size; the producer may be at most one ring ahead of the peer's consumer (peer_rmbe_space)";
    CDC_PRODUCER_WITHOUT_WRITE = "cdc-producer-without-write", Error,
        "Producer cursor advanced further than the RDMA WRITEs into the peer's RMB",
        "smc_tx_rdma_writes() writes the data before smcr_tx_sndbuf_nonempty() sends the CDC that moves the producer cursor";
    CDC_DATA_AFTER_CLOSE = "cdc-data-after-close", Error,
        "Data (producer advance or RDMA WRITE) after the sender announced done writing or close",
        "smc_close.c: after peer_done_writing / peer_conn_closed the sender's write side is shut and sends no more data";
    CDC_UNKNOWN_TOKEN = "cdc-unknown-token", Warning,
        "CDC names an alert token no connection of its link group announced",
        "smc_cdc_rx_handler(): smc_lgr_find_conn() fails and the CDC is dropped";
    RDMA_WRONG_RKEY = "rdma-write-wrong-rkey", Error,
        "RDMA WRITE with an rkey the receiving peer never announced for its RMBs",
        "The rkey comes from CLC Accept/Confirm, CONFIRM_RKEY or the ADD_LINK rkey list (smc_rtoken_add); the HCA rejects others";
    RDMA_OUTSIDE_RMB = "rdma-write-outside-rmb", Error,
        "RDMA WRITE outside the receiving peer's RMB",
        "smc_tx_rdma_write(): remote_addr = rtoken dma_addr + tx_off + offset, within the peer's RMBE size";
}

/// The rule with this id.
pub fn by_id(id: &str) -> Option<&'static Rule> {
    ALL.iter().copied().find(|r| r.id == id)
}

/// The catalogue as a Markdown table (docs/rules.md is this text).
pub fn markdown() -> String {
    let mut md = String::from(
        "# Conformance rules\n\n\
         Generated by `smc-analyze rules --markdown`; each rule fires in a test of its own\n\
         (engine/tests/rules_*.rs) and on none of the real captures in corpora/real.\n\n\
         | id | severity | violation | kernel behaviour / spec it stands on |\n|---|---|---|---|\n",
    );
    for r in ALL {
        md += &format!(
            "| `{}` | {} | {} | {} |\n",
            r.id,
            r.severity,
            r.summary,
            r.basis.replace('|', "\\|")
        );
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_kebab_case() {
        let mut ids: Vec<_> = ALL.iter().map(|r| r.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), ALL.len());
        for id in ids {
            assert!(
                id.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{id}"
            );
            assert_eq!(by_id(id).map(|r| r.id), Some(id));
        }
    }

    #[test]
    fn docs_rules_md_is_the_generated_catalogue() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/rules.md");
        let docs = std::fs::read_to_string(path).expect("docs/rules.md");
        assert_eq!(
            docs,
            markdown(),
            "regenerate with `smc-analyze rules --markdown > docs/rules.md`"
        );
    }
}
