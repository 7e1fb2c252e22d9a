// SPDX-License-Identifier: MIT

// gvpeer is a real gVisor netstack (ipv4, arp, icmp, tcp, udp) on one of
// gVisor's own, unmodified link endpoints, for pktlink's interoperability
// tests (tests/interop/gvisor/test_gvisor.c). It also has a "kernel" mode
// that runs the same traffic checks over the Linux stack, so that a test
// needs nothing but this binary on the far side of the bridge.
//
// Netstack modes (-link):
//
//	shm-client  sharedmem.New: create a queue pair (sharedmem.NewQueuePair,
//	            unsealed files in -shmdir), connect to the unix socket
//	            -sock and send its ten descriptors in ONE SCM_RIGHTS
//	            message in the order TX QueueConfig.FDs() then RX
//	            QueueConfig.FDs(); the connection is the PeerFD.
//	shm-server  sharedmem.NewServerEndpoint: listen on -sock, accept one
//	            connection, receive the ten descriptors in the same order;
//	            the connection is the PeerFD.
//	fd          fdbased.New on the inherited descriptor -fd (e.g. one end
//	            of a SOCK_SEQPACKET socketpair).
//
// The netstack answers ping, echoes UDP on port 7, and serves TCP on port
// 5001: "PUT\n" then data until EOF is answered by "<bytes> <sha256>\n";
// "GET <n>\n" is answered by n bytes of the deterministic stream and EOF.
// It prints "ready" on stdout once the NIC is up and "peer-gone <reason>"
// when the endpoint reports its peer's death, then exits with status 3.
//
// Kernel modes (Linux sockets, run in the namespace of the test):
//
//	-kput ADDR:PORT -bytes N   PUT N bytes, check the sha256 the peer returns
//	-kget ADDR:PORT -bytes N   GET N bytes, check them against the stream
//	-kecho ADDR:PORT -min A -max B  one UDP datagram per Ethernet frame size
//	                           A..B (IPv4, no options), each echoed byte-exact
//
// Each prints one result line and exits 0 on success, 1 on a mismatch.
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"math/rand"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/link/fdbased"
	"gvisor.dev/gvisor/pkg/tcpip/link/sharedmem"
	"gvisor.dev/gvisor/pkg/tcpip/network/arp"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/icmp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"
)

var (
	link     = flag.String("link", "", "shm-client | shm-server | fd")
	sockPath = flag.String("sock", "", "unix socket of the shm hand-over")
	shmDir   = flag.String("shmdir", "/dev/shm", "where shm-client creates its queue files")
	fdNum    = flag.Int("fd", -1, "fd mode: the inherited descriptor")
	mtu      = flag.Uint("mtu", 1500, "L3 MTU")
	bufSize  = flag.Uint("buffer-size", 2048, "shm: bytes per buffer")
	vnet     = flag.Bool("vnet", false, "virtio-net header on every frame (shm-client: VirtioNetHeaderRequired; fd: GSOMaxSize)")
	addr     = flag.String("addr", "198.18.0.2/24", "netstack address")
	mac      = flag.String("mac", "02:00:00:00:00:02", "netstack MAC")
	timeout  = flag.Duration("timeout", 20*time.Second, "hand-over time limit")

	kput  = flag.String("kput", "", "kernel mode: PUT to ADDR:PORT")
	kget  = flag.String("kget", "", "kernel mode: GET from ADDR:PORT")
	kecho = flag.String("kecho", "", "kernel mode: UDP echo check against ADDR:PORT")
	nbyte = flag.Int64("bytes", 10<<20, "kernel mode: bytes to PUT/GET")
	fmin  = flag.Int("min", 60, "kecho: smallest Ethernet frame")
	fmax  = flag.Int("max", 1514, "kecho: largest Ethernet frame")
)

func die(format string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, "gvpeer: "+format+"\n", a...)
	os.Exit(2)
}

// stream is the deterministic byte stream of PUT and GET.
func stream() io.Reader { return rand.New(rand.NewSource(20221219)) }

// ---- hand-over of a sharedmem queue pair ----

// eintr calls a blocking system call again when a signal interrupted it:
// the unix.* wrappers return EINTR as it is, and the Go runtime preempts
// goroutines with SIGURG, more often on a loaded machine. Bounded: each
// call has SO_RCVTIMEO/SO_SNDTIMEO (withTimeout), and 1000 tries at most.
func eintr(call func() error) error {
	err := call()
	for i := 0; i < 1000 && err == unix.EINTR; i++ {
		err = call()
	}
	return err
}

func sendQueuePair(conn int, qp *sharedmem.QueuePair) error {
	tx, rx := qp.TXQueueConfig(), qp.RXQueueConfig()
	fds := append(tx.FDs(), rx.FDs()...)
	return eintr(func() error { return unix.Sendmsg(conn, []byte{0}, unix.UnixRights(fds...), nil, 0) })
}

func recvQueuePair(conn int) (tx, rx sharedmem.QueueConfig, err error) {
	oob := make([]byte, unix.CmsgSpace(10*4))
	buf := make([]byte, 64)
	var oobn int
	err = eintr(func() (e error) {
		_, oobn, _, _, e = unix.Recvmsg(conn, buf, oob, unix.MSG_CMSG_CLOEXEC)
		return e
	})
	if err != nil {
		return tx, rx, err
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		return tx, rx, fmt.Errorf("want one SCM_RIGHTS message (%v)", err)
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 10 {
		return tx, rx, fmt.Errorf("want 10 descriptors, got %d (%v)", len(fds), err)
	}
	if tx, err = sharedmem.QueueConfigFromFDs(fds[:5]); err == nil {
		rx, err = sharedmem.QueueConfigFromFDs(fds[5:])
	}
	return tx, rx, err
}

func withTimeout(fd int) {
	tv := unix.NsecToTimeval(timeout.Nanoseconds())
	unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_SNDTIMEO, &tv)
}

// connectShm: the gVisor client dials the pktlink server, retrying while it is not there yet.
func connectShm() int {
	deadline := time.Now().Add(*timeout)
	for {
		s, err := unix.Socket(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			die("socket: %v", err)
		}
		err = unix.Connect(s, &unix.SockaddrUnix{Name: *sockPath})
		if err == nil {
			withTimeout(s)
			return s
		}
		unix.Close(s)
		if time.Now().After(deadline) {
			die("connect %s: %v", *sockPath, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func acceptShm() int {
	s, err := unix.Socket(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		die("socket: %v", err)
	}
	unix.Unlink(*sockPath)
	if err := unix.Bind(s, &unix.SockaddrUnix{Name: *sockPath}); err != nil {
		die("bind %s: %v", *sockPath, err)
	}
	if err := unix.Listen(s, 1); err != nil {
		die("listen: %v", err)
	}
	fmt.Println("listening")
	withTimeout(s)
	var c int
	err = eintr(func() (e error) {
		c, _, e = unix.Accept4(s, unix.SOCK_CLOEXEC)
		return e
	})
	if err != nil {
		die("accept on %s: %v", *sockPath, err)
	}
	unix.Close(s)
	unix.Unlink(*sockPath)
	withTimeout(c)
	return c
}

// ---- the netstack ----

func onClosed(err tcpip.Error) {
	fmt.Printf("peer-gone %v\n", err)
	os.Exit(3)
}

func linkEndpoint(linkAddr tcpip.LinkAddress) stack.LinkEndpoint {
	switch *link {
	case "shm-client", "shm-server":
		opts := sharedmem.Options{
			MTU:         uint32(*mtu),
			BufferSize:  uint32(*bufSize),
			LinkAddress: linkAddr,
			OnClosed:    onClosed,
			// The netstack checks and computes every checksum itself.
			VirtioNetHeaderRequired: *vnet,
		}
		var conn int
		if *link == "shm-client" {
			qp, err := sharedmem.NewQueuePair(sharedmem.QueueOptions{SharedMemPath: *shmDir})
			if err != nil {
				die("NewQueuePair: %v", err)
			}
			conn = connectShm()
			if err := sendQueuePair(conn, qp); err != nil {
				die("sending the queue pair: %v", err)
			}
			opts.TX, opts.RX = qp.TXQueueConfig(), qp.RXQueueConfig()
		} else {
			conn = acceptShm()
			tx, rx, err := recvQueuePair(conn)
			if err != nil {
				die("receiving the queue pair: %v", err)
			}
			opts.TX, opts.RX = tx, rx
		}
		// gVisor's peer watcher read(2)s the fd directly: it must not
		// block, or it parks a scheduler thread in the kernel.
		if err := unix.SetNonblock(conn, true); err != nil {
			die("SetNonblock: %v", err)
		}
		opts.PeerFD = conn
		var ep stack.LinkEndpoint
		var err error
		if *link == "shm-client" {
			ep, err = sharedmem.New(opts)
		} else {
			ep, err = sharedmem.NewServerEndpoint(opts)
		}
		if err != nil {
			die("sharedmem endpoint: %v", err)
		}
		return ep
	case "fd":
		if *fdNum < 0 {
			die("-link fd needs -fd N")
		}
		o := fdbased.Options{
			FDs:            []int{*fdNum},
			MTU:            uint32(*mtu),
			EthernetHeader: true,
			Address:        linkAddr,
			ClosedFunc:     onClosed,
		}
		if *vnet {
			// gVisor's host GSO: a virtio-net header on every frame.
			// Its receive path ignores the header's checksum flags, so
			// it must trust the other side's partial checksums
			// (RXChecksumOffload). TXChecksumOffload stays off: gVisor
			// would then send plain frames with no checksum and no
			// NEEDS_CSUM flag.
			o.GSOMaxSize = 65536
			o.RXChecksumOffload = true
		}
		ep, err := fdbased.New(&o)
		if err != nil {
			die("fdbased.New: %v", err)
		}
		return ep
	}
	die("unknown -link %q", *link)
	return nil
}

func runStack() {
	ip, ipnet, err := net.ParseCIDR(*addr)
	if err != nil || ip.To4() == nil {
		die("-addr %q: want an IPv4 CIDR", *addr)
	}
	hw, err := net.ParseMAC(*mac)
	if err != nil {
		die("-mac %q: %v", *mac, err)
	}
	s := stack.New(stack.Options{
		NetworkProtocols:   []stack.NetworkProtocolFactory{ipv4.NewProtocol, arp.NewProtocol},
		TransportProtocols: []stack.TransportProtocolFactory{tcp.NewProtocol, udp.NewProtocol, icmp.NewProtocol4},
	})
	if e := s.CreateNIC(1, linkEndpoint(tcpip.LinkAddress(hw))); e != nil {
		die("CreateNIC: %v", e)
	}
	prefix, _ := ipnet.Mask.Size()
	pa := tcpip.ProtocolAddress{
		Protocol:          ipv4.ProtocolNumber,
		AddressWithPrefix: tcpip.AddressWithPrefix{Address: tcpip.Address(ip.To4()), PrefixLen: prefix},
	}
	if e := s.AddProtocolAddress(1, pa, stack.AddressProperties{}); e != nil {
		die("AddProtocolAddress: %v", e)
	}
	s.SetRouteTable([]tcpip.Route{{Destination: pa.AddressWithPrefix.Subnet(), NIC: 1}})
	// Large windows so that TCP throughput is not capped by the buffers.
	sz := tcpip.TCPReceiveBufferSizeRangeOption{Min: 4096, Default: 1 << 20, Max: 8 << 20}
	s.SetTransportProtocolOption(tcp.ProtocolNumber, &sz)
	ssz := tcpip.TCPSendBufferSizeRangeOption{Min: 4096, Default: 1 << 20, Max: 8 << 20}
	s.SetTransportProtocolOption(tcp.ProtocolNumber, &ssz)

	local := tcpip.Address(ip.To4())
	uc, err := gonet.DialUDP(s, &tcpip.FullAddress{NIC: 1, Addr: local, Port: 7}, nil, ipv4.ProtocolNumber)
	if err != nil {
		die("udp echo: %v", err)
	}
	go func() {
		b := make([]byte, 65536)
		for {
			n, from, err := uc.ReadFrom(b)
			if err != nil {
				return
			}
			uc.WriteTo(b[:n], from)
		}
	}()
	ln, err := gonet.ListenTCP(s, tcpip.FullAddress{NIC: 1, Addr: local, Port: 5001}, ipv4.ProtocolNumber)
	if err != nil {
		die("tcp listen: %v", err)
	}
	fmt.Println("ready")
	for {
		c, err := ln.Accept()
		if err != nil {
			die("accept: %v", err)
		}
		go serveTCP(c)
	}
}

func readLine(c net.Conn) (string, error) {
	var b [1]byte
	var line []byte
	for len(line) < 128 {
		if _, err := io.ReadFull(c, b[:]); err != nil {
			return "", err
		}
		if b[0] == '\n' {
			return string(line), nil
		}
		line = append(line, b[0])
	}
	return "", fmt.Errorf("line too long")
}

func serveTCP(c net.Conn) {
	defer c.Close()
	cmd, err := readLine(c)
	if err != nil {
		return
	}
	switch {
	case cmd == "PUT":
		h := sha256.New()
		n, _ := io.Copy(h, c)
		fmt.Fprintf(c, "%d %s\n", n, hex.EncodeToString(h.Sum(nil)))
	case strings.HasPrefix(cmd, "GET "):
		n, err := strconv.ParseInt(cmd[4:], 10, 64)
		if err == nil {
			io.Copy(c, io.LimitReader(stream(), n))
		}
	}
}

// ---- kernel modes ----

func mbits(n int64, d time.Duration) float64 { return float64(n) * 8 / d.Seconds() / 1e6 }

func kernelPut(target string) {
	c, err := net.DialTimeout("tcp", target, 10*time.Second)
	if err != nil {
		die("dial %s: %v", target, err)
	}
	c.SetDeadline(time.Now().Add(120 * time.Second))
	want := sha256.New()
	t0 := time.Now()
	fmt.Fprintf(c, "PUT\n")
	if _, err := io.Copy(io.MultiWriter(c, want), io.LimitReader(stream(), *nbyte)); err != nil {
		die("PUT: %v", err)
	}
	c.(*net.TCPConn).CloseWrite()
	reply, err := io.ReadAll(c)
	d := time.Since(t0)
	if err != nil {
		die("PUT reply: %v", err)
	}
	exp := fmt.Sprintf("%d %s\n", *nbyte, hex.EncodeToString(want.Sum(nil)))
	if string(reply) != exp {
		fmt.Printf("PUT mismatch: peer says %q, sent %q\n", reply, exp)
		os.Exit(1)
	}
	fmt.Printf("PUT %d bytes sha256 ok %.0f Mbit/s\n", *nbyte, mbits(*nbyte, d))
}

func kernelGet(target string) {
	c, err := net.DialTimeout("tcp", target, 10*time.Second)
	if err != nil {
		die("dial %s: %v", target, err)
	}
	c.SetDeadline(time.Now().Add(120 * time.Second))
	t0 := time.Now()
	fmt.Fprintf(c, "GET %d\n", *nbyte)
	got := sha256.New()
	n, err := io.Copy(got, c)
	d := time.Since(t0)
	if err != nil {
		die("GET: %v", err)
	}
	want := sha256.New()
	io.Copy(want, io.LimitReader(stream(), *nbyte))
	if n != *nbyte || !bytes.Equal(got.Sum(nil), want.Sum(nil)) {
		fmt.Printf("GET mismatch: %d bytes, sha256 %x, want %d bytes %x\n", n, got.Sum(nil), *nbyte, want.Sum(nil))
		os.Exit(1)
	}
	fmt.Printf("GET %d bytes sha256 ok %.0f Mbit/s\n", n, mbits(n, d))
}

func kernelEcho(target string) {
	c, err := net.Dial("udp", target)
	if err != nil {
		die("dial %s: %v", target, err)
	}
	const hdr = 14 + 20 + 8
	if *fmin < hdr {
		*fmin = hdr
	}
	r := rand.New(rand.NewSource(7))
	out := make([]byte, *fmax)
	in := make([]byte, *fmax+1)
	for size := *fmin; size <= *fmax; size++ {
		p := out[:size-hdr]
		r.Read(p)
		ok := false
		// A datagram may be lost (ARP still resolving): retry a few times.
		for try := 0; try < 20 && !ok; try++ {
			if _, err := c.Write(p); err != nil {
				die("frame size %d: write: %v", size, err)
			}
			deadline := time.Now().Add(500 * time.Millisecond)
			for !ok {
				c.SetReadDeadline(deadline)
				n, err := c.Read(in)
				if err != nil {
					break // timed out: send again
				}
				if n == len(p) && bytes.Equal(in[:n], p) {
					ok = true
				} else if n != len(p) || !bytes.Equal(in[:n], p) {
					// A late echo of an earlier size is harmless; anything
					// else of this size is corruption.
					if n == len(p) {
						fmt.Printf("frame size %d: echo differs\n", size)
						os.Exit(1)
					}
				}
			}
		}
		if !ok {
			fmt.Printf("frame size %d: no echo\n", size)
			os.Exit(1)
		}
	}
	fmt.Printf("echo ok: every frame size %d..%d byte-exact\n", *fmin, *fmax)
}

func main() {
	flag.Parse()
	switch {
	case *kput != "":
		kernelPut(*kput)
	case *kget != "":
		kernelGet(*kget)
	case *kecho != "":
		kernelEcho(*kecho)
	default:
		runStack()
	}
}
