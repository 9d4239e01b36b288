# late-link: a second RoCE device appears while 14 connections are open and
# idle, so the link group's second link is negotiated late and its LLC v2
# ADD_LINK carries 14 rkeys (72 + 14 * 16 bytes). eth0 has MTU 400, which
# gives a RoCE path MTU of 256: the LLC message spans SEND First/Last.
# eth1 joins the subnet of eth0 (SMC-Rv2 needs that of an alternate device).
NICS=2
LIMIT=120
CAPTURE_IFS="eth0 eth1"
SETTLE=4

setup_nics() {
    step "eth0 mtu 400, eth1 10.0.0.1$1/24"
    $IP link set eth0 mtu 400 || die "eth0 mtu"
    $IP addr flush dev eth1 && $IP addr add "10.0.0.1$1/24" dev eth1 || die "eth1 address"
}

guest_server() {
    setup_nics 1
    rxe_add eth0
    ueid_add SMC-LAB
    (await client-rxe1 60 && rxe_add eth1) &
    serve --port 5000 --count 14 --echo
}

guest_client() {
    setup_nics 2
    rxe_add eth0
    ueid_add SMC-LAB
    # The connections are up well before 10 s and send after --hold 20. The
    # client's device comes first: the server's ADD_LINK must find it there.
    (sleep 10 && rxe_add eth1 && sleep 2 && signal client-rxe1) &
    capture_client "$SERVER4" 5000 --size 4096 --connections 14 --parallel --hold 20 --expect-echo
}
