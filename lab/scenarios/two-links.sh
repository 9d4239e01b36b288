# two-links: two NICs per VM, each with an rxe device, so the server's ADD_LINK
# finds a second path and the link group gets two links. SMC-Rv2 only takes an
# alternate device whose netdev has an address in the subnet of the link
# group's source address, so eth1 moves into 10.0.0.0/24 too (rxe sends with
# the NIC as output interface, so each link stays on its own wire).
# While the connection is idle the client takes eth0 down: the link on it
# fails (DELETE_LINK) and the connection fails over to the link on eth1,
# where the 60 KB echo then runs. Captured on both client NICs.
NICS=2
LIMIT=120
CAPTURE_IFS="eth0 eth1"

# second_nic N: eth1 gets 10.0.0.1N/24 instead of its own subnet
second_nic() {
    step "eth1 address 10.0.0.1$1/24"
    $IP addr flush dev eth1 && $IP addr add "10.0.0.1$1/24" dev eth1 || die "eth1 address"
}

guest_server() {
    second_nic 1
    rxe_add eth0
    rxe_add eth1
    ueid_add SMC-LAB
    serve --port 5000 --count 1 --echo
}

guest_client() {
    second_nic 2
    rxe_add eth0
    rxe_add eth1
    ueid_add SMC-LAB
    # links are up about 2 s after the connect; the data waits for --hold
    (sleep 7 && step "eth0 down" && $IP link set eth0 down) &
    capture_client "$SERVER4" 5000 --size 61440 --hold 12 --expect-echo
}
