-- rdt.lua: a Wireshark/tshark dissector for the rdt wire protocol,
-- version 1, and the clear part of version 2 (the encrypted mode's
-- sealed datagrams), written from docs/PROTOCOL.md (section numbers below
-- are that document's).  How to install and use it: docs/WIRESHARK.md.
--
--   wireshark -X lua_script:docs/rdt.lua capture.pcap
--   tshark -X lua_script:docs/rdt.lua -r capture.pcap -Y rdtp
--
-- The protocol and its fields are named "rdtp" (rdtp.pn, rdtp.type, ...)
-- because Wireshark already has a protocol "rdt", RealNetworks' Real
-- Data Transport, and no two protocols may share a name.
--
-- rdt has no fixed port.  A UDP datagram is taken for rdt when its
-- payload passes the test of section 9 (length 24 to 65507, version 1,
-- type 1-4, reserved 0, a length its type allows and a CRC32C that
-- matches; or the same for a sealed datagram, version 2, whose lengths
-- are 16 bytes longer); the whole UDP conversation is then rdt, so later corrupted
-- datagrams of that conversation are shown too, flagged.  Ports listed
-- in the "rdtp.ports" preference, or chosen with Decode As, are always
-- rdt.
--
-- A sealed datagram (section 11) shows its clear prefix (the header, and
-- an INIT's or ACCEPT's scid) and then its encrypted body and tag as
-- they are: decrypting needs the pre-shared key, which is rdt-pcap's
-- business, not this dissector's: 'rdt-pcap decrypt --psk-file KEY'
-- rewrites such a capture in clear, which this dissector shows in full.  Its
-- packet number and connection IDs are in clear, so the analysis below
-- still finds its connection, duplicates and reordering; the stream
-- analysis needs the plaintext.
--
-- Every field is shown with its raw wire value, plus generated fields:
-- each ACK range as absolute (32-bit) packet numbers, the FIN's offset,
-- the computed CRC and its status.  Whatever section 6 rejects is
-- flagged with expert info; nothing a datagram contains can make this
-- dissector read past its end or raise a Lua error.
--
-- Analysis, as Wireshark's TCP analysis does it: every datagram gets the
-- index of its connection (rdtp.stream_index, like tcp.stream, so that
-- "rdtp.stream_index == 0" follows one connection) and its direction;
-- stream offsets, cumulative ACKs and window edges are also shown
-- relative to the stream's isn (position 0 is the first byte); and
-- expert infos flag retransmissions, spurious retransmissions, out of
-- order, duplicate, zero-window and window-full datagrams.  A connection
-- is found by its connection IDs (section 5), so a peer may change
-- address; a datagram with a bad CRC only by its addresses, and it
-- changes no state: nothing in it is trusted.  The analysis runs on the
-- first, in-order pass over the capture and is remembered per frame, so
-- clicking around in Wireshark shows the same results.
--
-- Map: fields and expert infos -> crc32c -> dissect_init / _accept /
-- _data / _reset (each returns its Info-column text) -> analysis ->
-- dissect -> heuristic -> registration.

local rdt = Proto("rdtp", "rdt reliable datagram transport")

local VERSION = 1
local SEALED_VERSION = 2	-- the encrypted mode (section 11)
local F_PUBLIC = 0x01		-- a sealed INIT's or ACCEPT's public-key flag
local EPHEMERAL = 32		-- and the ephemeral key it carries
local TAG = 16			-- ChaCha20-Poly1305's tag, after the ciphertext
local HEADER = 16
local CRC_SIZE = 4
local MIN_LEN = HEADER + CRC_SIZE
local SMALLEST = 24		-- a bare DATA or a RESET (section 3)
local MAX_DGRAM = 65507
local INIT_MIN = 1200
local ACCEPT_LEN = 58
local RESET_LEN = 24		-- without a reset token
local RESET_TOKEN_LEN = 40	-- with one
local RESET_TOKEN = 16		-- bytes of a reset token
local MAX_TOKEN = 64
local MAX_RANGES = 32
local MIN_DGRAM = 256

local F_ACK, F_STREAM, F_FIN, F_PING = 0x01, 0x02, 0x04, 0x08

local type_names = { [1] = "INIT", [2] = "ACCEPT", [3] = "DATA",
		     [4] = "RESET", [5] = "RETRY" }
local reason_names = { [1] = "ABORT", [2] = "REFUSED", [3] = "UNKNOWN",
		       [4] = "PROTOCOL", [5] = "TIMEOUT" }
local crc_status_names = { [0] = "Bad", [1] = "Good" }

local f = rdt.fields
f.version = ProtoField.uint8("rdtp.version", "Version", base.DEC)
f.type = ProtoField.uint8("rdtp.type", "Type", base.DEC, type_names)
f.flags = ProtoField.uint8("rdtp.flags", "Flags", base.HEX)
f.flag_ack = ProtoField.bool("rdtp.flags.ack", "ACK", 8, nil, F_ACK)
f.flag_stream = ProtoField.bool("rdtp.flags.stream", "STREAM", 8, nil,
				F_STREAM)
f.flag_fin = ProtoField.bool("rdtp.flags.fin", "FIN", 8, nil, F_FIN)
f.flag_ping = ProtoField.bool("rdtp.flags.ping", "PING", 8, nil, F_PING)
f.flag_rsvd = ProtoField.uint8("rdtp.flags.reserved", "Reserved flags",
			       base.HEX, nil, 0xF0)
f.reserved = ProtoField.uint8("rdtp.reserved", "Reserved", base.HEX)
f.dcid = ProtoField.uint64("rdtp.dcid", "Destination connection ID",
			   base.HEX)
f.pn = ProtoField.uint32("rdtp.pn", "Packet number", base.DEC)
f.len = ProtoField.uint32("rdtp.len", "Datagram length", base.DEC)

f.scid = ProtoField.uint64("rdtp.scid", "Source connection ID", base.HEX)
f.isn = ProtoField.uint32("rdtp.isn", "Initial sequence number", base.DEC)
f.window = ProtoField.uint32("rdtp.window", "Initial receive window",
			     base.DEC)
f.max_dgram = ProtoField.uint16("rdtp.max_dgram", "Largest datagram accepted",
				base.DEC)
f.token_len = ProtoField.uint8("rdtp.token_len", "Token length", base.DEC)
f.token = ProtoField.bytes("rdtp.token", "Token")
f.padding = ProtoField.bytes("rdtp.padding", "Padding")
f.padding_len = ProtoField.uint32("rdtp.padding_len", "Padding length",
				  base.DEC)
f.echo_pn = ProtoField.uint32("rdtp.echo_pn", "Echoed INIT packet number",
			      base.DEC)
f.reset_token = ProtoField.bytes("rdtp.reset_token", "Reset token")

f.window_edge = ProtoField.uint32("rdtp.window_edge", "Window edge", base.DEC)
f.ack = ProtoField.none("rdtp.ack", "ACK section")
f.ack_cum = ProtoField.uint32("rdtp.ack.cum", "Cumulative offset", base.DEC)
f.ack_largest = ProtoField.uint32("rdtp.ack.largest", "Largest acknowledged",
				  base.DEC)
f.ack_delay = ProtoField.uint32("rdtp.ack.delay_us", "ACK delay (us)",
				base.DEC)
f.ack_first_len = ProtoField.uint32("rdtp.ack.first_len", "First range length",
				    base.DEC)
f.ack_nranges = ProtoField.uint8("rdtp.ack.nranges", "Additional ranges",
				 base.DEC)
f.ack_gap = ProtoField.uint32("rdtp.ack.gap", "Gap", base.DEC)
f.ack_len = ProtoField.uint32("rdtp.ack.len", "Length", base.DEC)
f.range = ProtoField.none("rdtp.ack.range", "Range")
f.range_largest = ProtoField.uint32("rdtp.ack.range.largest",
				    "Range largest pn", base.DEC)
f.range_smallest = ProtoField.uint32("rdtp.ack.range.smallest",
				     "Range smallest pn", base.DEC)
f.acked = ProtoField.uint32("rdtp.ack.acked", "Packets acknowledged",
			    base.DEC)

f.stream = ProtoField.none("rdtp.stream", "STREAM section")
f.stream_offset = ProtoField.uint32("rdtp.stream.offset", "Offset", base.DEC)
f.stream_len = ProtoField.uint16("rdtp.stream.len", "Data length", base.DEC)
f.stream_data = ProtoField.bytes("rdtp.stream.data", "Data")
f.fin_offset = ProtoField.uint32("rdtp.stream.fin_offset", "FIN at offset",
				 base.DEC)

f.reason = ProtoField.uint32("rdtp.reason", "Reason", base.DEC, reason_names)

f.crc = ProtoField.uint32("rdtp.crc", "CRC32C", base.HEX)
f.crc_computed = ProtoField.uint32("rdtp.crc.computed", "Computed CRC32C",
				   base.HEX)
f.crc_status = ProtoField.uint8("rdtp.crc.status", "CRC status", base.DEC,
				crc_status_names)
f.extra = ProtoField.bytes("rdtp.extra", "Unexpected bytes")

f.sealed = ProtoField.none("rdtp.sealed", "Sealed body")
f.sealed_len = ProtoField.uint32("rdtp.sealed.len", "Encrypted length",
				 base.DEC)
f.sealed_data = ProtoField.bytes("rdtp.sealed.data", "Encrypted body")
f.sealed_tag = ProtoField.bytes("rdtp.sealed.tag", "Authentication tag")
f.ephemeral = ProtoField.bytes("rdtp.ephemeral",
			       "Ephemeral public key (X25519)")

local dir_names = { [0] = "client to server", [1] = "server to client" }
f.stream_index = ProtoField.uint32("rdtp.stream_index", "Stream index",
				   base.DEC)
f.dir = ProtoField.uint8("rdtp.dir", "Direction", base.DEC, dir_names)
f.offset_rel = ProtoField.uint64("rdtp.stream.offset_rel",
				 "Offset (relative)", base.DEC)
f.next_rel = ProtoField.uint64("rdtp.stream.next_rel",
			       "Next offset (relative)", base.DEC)
f.cum_rel = ProtoField.uint64("rdtp.ack.cum_rel",
			      "Cumulative offset (relative)", base.DEC)
f.edge_rel = ProtoField.uint64("rdtp.window_edge_rel",
			       "Window edge (relative)", base.DEC)
f.window_left = ProtoField.int64("rdtp.window_left",
				 "Window left (edge - cumulative offset)",
				 base.DEC)
f.analysis = ProtoField.none("rdtp.analysis", "Analysis")

-- A bad CRC is the network's doing, which rdt drops as designed: a
-- warning, not an error, which is kept for what an endpoint did wrong.
local ef_crc = ProtoExpert.new("rdtp.crc.bad",
			       "Bad CRC32C: corrupted in transit, dropped "
			       .. "by the receiver",
			       expert.group.CHECKSUM, expert.severity.WARN)
-- Whatever section 6 rejects besides the CRC; the text says which rule.
local ef_invalid = ProtoExpert.new("rdtp.invalid",
				   "Violates PROTOCOL.md section 6",
				   expert.group.PROTOCOL,
				   expert.severity.ERROR)
-- A rule broken inside a datagram whose CRC is bad: the corruption's
-- doing, not the endpoint's, so a note on the field, not an error.
local ef_garbled = ProtoExpert.new("rdtp.garbled",
				   "Field garbled in transit (bad CRC32C)",
				   expert.group.PROTOCOL,
				   expert.severity.NOTE)
local ef_version = ProtoExpert.new("rdtp.version.unknown",
				   "Unknown protocol version",
				   expert.group.PROTOCOL,
				   expert.severity.WARN)
-- Not a problem, but why the body is not decoded.
local ef_sealed = ProtoExpert.new("rdtp.sealed.encrypted",
				  "Sealed (encrypted mode): only the header "
				  .. "is in clear", expert.group.PROTOCOL,
				  expert.severity.CHAT)
local ef_reset = ProtoExpert.new("rdtp.reset", "Connection reset",
				 expert.group.SEQUENCE, expert.severity.NOTE)
local ef_retx = ProtoExpert.new("rdtp.analysis.retransmission",
				"Retransmission: stream bytes seen before",
				expert.group.SEQUENCE, expert.severity.NOTE)
local ef_spurious = ProtoExpert.new("rdtp.analysis.spurious_retransmission",
				    "Spurious retransmission: every byte was "
				    .. "already acknowledged",
				    expert.group.SEQUENCE,
				    expert.severity.NOTE)
local ef_ooo = ProtoExpert.new("rdtp.analysis.out_of_order",
			       "Out of order: a higher packet number came "
			       .. "first", expert.group.SEQUENCE,
			       expert.severity.WARN)
local ef_dup = ProtoExpert.new("rdtp.analysis.duplicate",
			       "Duplicate: this packet number was seen "
			       .. "before", expert.group.SEQUENCE,
			       expert.severity.NOTE)
local ef_zero_window = ProtoExpert.new("rdtp.analysis.zero_window",
				       "Zero window: the receiver accepts "
				       .. "no more bytes",
				       expert.group.SEQUENCE,
				       expert.severity.WARN)
local ef_window_full = ProtoExpert.new("rdtp.analysis.window_full",
				       "Window full: these bytes reach the "
				       .. "receiver's window edge",
				       expert.group.SEQUENCE,
				       expert.severity.NOTE)
rdt.experts = { ef_crc, ef_invalid, ef_garbled, ef_version, ef_sealed,
		ef_reset,
		ef_retx, ef_spurious, ef_ooo, ef_dup, ef_zero_window,
		ef_window_full }

rdt.prefs.ports = Pref.range("UDP ports", "",
			     "UDP ports always decoded as rdt, whether or "
			     .. "not the heuristic recognises the traffic",
			     65535)

-- Bit operations: bit32 on Lua 5.2, LuaBitOp's "bit" where Wireshark
-- has no bit32.  LuaBitOp results are signed, so results are brought
-- back to [0, 2^32) before they are compared or stored.
local bitlib = bit32 or bit
local band, bxor, rshift = bitlib.band, bitlib.bxor, bitlib.rshift
local TWO32 = 4294967296

local function u32(x)
	return x % TWO32
end

-- CRC32C, reflected, polynomial 0x82F63B78 (section 2), "slicing by 8":
-- T[k][b] is the CRC register after byte b followed by k zero bytes, so
-- eight bytes take eight lookups and two bit-library calls.  Everything
-- else is arithmetic, because in Lua the calls are what costs.
local T = {}
for k = 0, 7 do
	T[k] = {}
end
for i = 0, 255 do
	local c = i
	for _ = 1, 8 do
		if c % 2 == 1 then
			c = bxor(rshift(c, 1), 0x82F63B78)
		else
			c = rshift(c, 1)
		end
	end
	T[0][i] = u32(c)
end
for k = 1, 7 do
	for i = 0, 255 do
		local prev = T[k - 1][i]
		T[k][i] = u32(bxor(rshift(prev, 8), T[0][prev % 256]))
	end
end
local T0, T1, T2, T3, T4, T5, T6, T7 = T[0], T[1], T[2], T[3], T[4], T[5],
				       T[6], T[7]

local function crc32c(s)
	local c = 0xFFFFFFFF
	local byte = string.byte
	local n = #s
	local i = 1
	while i + 7 <= n do
		local b0, b1, b2, b3, b4, b5, b6, b7 = byte(s, i, i + 7)
		local x = bxor(c, b0 + b1 * 256 + b2 * 65536 + b3 * 16777216)
			  % TWO32
		local x0 = x % 256
		x = (x - x0) / 256
		local x1 = x % 256
		x = (x - x1) / 256
		local x2 = x % 256
		c = bxor(T7[x0], T6[x1], T5[x2], T4[(x - x2) / 256],
			 T3[b4], T2[b5], T1[b6], T0[b7]) % TWO32
		i = i + 8
	end
	while i <= n do
		local x = bxor(c, byte(s, i)) % 256
		c = bxor(T0[x], (c - c % 256) / 256) % TWO32
		i = i + 1
	end
	return bxor(c, 0xFFFFFFFF) % TWO32
end

-- Computed CRCs by frame and offset in it: tshark -2 and Wireshark
-- dissect each frame again and again, and the heuristic needs the CRC
-- before the dissector does.  Emptied for every new capture (rdt.init).
local crc_cache = {}

local function cached_crc32c(tvb, pinfo, len)
	local key = pinfo.number .. ":" .. tvb:offset() .. ":" .. len
	local crc = crc_cache[key]
	if crc == nil then
		crc = crc32c(tvb:raw(0, len))
		crc_cache[key] = crc
	end
	return crc
end

-- The analysis state (below), also emptied for every new capture.
local conns, by_cid, by_addr, results

local train_cache

local function reset_state()
	crc_cache = {}
	train_cache = {}
	conns, by_cid, by_addr, results = {}, {}, {}, {}
end
reset_state()
rdt.init = reset_state

-- Set by invalid(): the datagram being dissected broke a rule of
-- section 6, so the analysis must not trust it.
local broke_rule = false
-- Set by dissect() before any field is read: the CRC failed, so a field
-- that breaks a rule was most likely flipped in transit.
local crc_bad = false

local function invalid(item, text)
	broke_rule = true
	item:add_proto_expert_info(crc_bad and ef_garbled or ef_invalid, text)
end

local function hex64(range)
	return "0x" .. range:uint64():tohex()
end

-- Every dissect_* gets the tvb, the subtree, the offset of the CRC (the
-- end of the body) and the flags; checks each field fits before reading
-- it; and returns the Info column's text for its body.

local function dissect_init(tvb, tree, body_end)
	if body_end < 51 then
		invalid(tree, "INIT body too short for its fixed fields")
		return ""
	end
	tree:add(f.scid, tvb(16, 8))
	tree:add(f.isn, tvb(24, 4))
	tree:add(f.window, tvb(28, 4))
	local md = tree:add(f.max_dgram, tvb(32, 2))
	tree:add(f.reset_token, tvb(34, RESET_TOKEN))
	local tl_item = tree:add(f.token_len, tvb(50, 1))
	local tlen = tvb(50, 1):uint()
	local info = string.format(" scid=%s isn=%u win=%u max=%u token=%u",
				   hex64(tvb(16, 8)), tvb(24, 4):uint(),
				   tvb(28, 4):uint(), tvb(32, 2):uint(), tlen)
	if tvb(32, 2):uint() < MIN_DGRAM then
		invalid(md, "max_dgram below 256")
	end
	if tvb:len() < INIT_MIN then
		invalid(tree, "INIT shorter than 1200 bytes")
	end
	if tlen > MAX_TOKEN then
		invalid(tl_item, "token_len above 64")
	end
	if 51 + tlen > body_end then
		invalid(tl_item, "token runs into the CRC")
		return info
	end
	if tlen > 0 then
		tree:add(f.token, tvb(51, tlen))
	end
	local plen = body_end - 51 - tlen
	tree:add(f.padding_len, plen):set_generated()
	if plen > 0 then
		local pad = tree:add(f.padding, tvb(51 + tlen, plen))
		if tvb:raw(51 + tlen, plen):find("[^\0]") then
			invalid(pad, "non-zero padding")
		end
	end
	return info
end

local function dissect_accept(tvb, tree, body_end)
	if tvb:len() ~= ACCEPT_LEN then
		invalid(tree, "ACCEPT length is not 58")
	end
	if body_end < 54 then
		return ""
	end
	tree:add(f.scid, tvb(16, 8))
	tree:add(f.isn, tvb(24, 4))
	tree:add(f.window, tvb(28, 4))
	local md = tree:add(f.max_dgram, tvb(32, 2))
	tree:add(f.echo_pn, tvb(34, 4))
	tree:add(f.reset_token, tvb(38, RESET_TOKEN))
	if tvb(32, 2):uint() < MIN_DGRAM then
		invalid(md, "max_dgram below 256")
	end
	return string.format(" scid=%s isn=%u win=%u max=%u echo=%u",
			     hex64(tvb(16, 8)), tvb(24, 4):uint(),
			     tvb(28, 4):uint(), tvb(32, 2):uint(),
			     tvb(34, 4):uint())
end

local function dissect_reset(tvb, tree, body_end)
	local len = tvb:len()
	if len ~= RESET_LEN and len ~= RESET_TOKEN_LEN then
		invalid(tree, "RESET length is neither 24 nor 40")
	end
	if body_end < 20 then
		return ""
	end
	local reason = tvb(16, 4):uint()
	local item = tree:add(f.reason, tvb(16, 4))
	local name = reason_names[reason] or
		     string.format("%u (unknown, treated as ABORT)", reason)
	item:add_proto_expert_info(ef_reset, "Connection reset: " .. name)
	-- Without the sender's token (a stateless answer) a connection that
	-- knows one does not believe it (section 7.8).
	if len == RESET_TOKEN_LEN then
		tree:add(f.reset_token, tvb(20, RESET_TOKEN))
		return " reason=" .. name .. " token"
	end
	return " reason=" .. name
end

-- The ACK section at |off|; returns the offset after it, or nil if it
-- runs into the CRC, and the Info text.
local function dissect_ack(tvb, tree, off, body_end)
	if off + 17 > body_end then
		invalid(tree, "ACK section runs into the CRC")
		return nil, " ACK?"
	end
	local nranges = tvb(off + 16, 1):uint()
	local size = 17 + 8 * nranges
	local ack = tree:add(f.ack, tvb(off, math.min(size, body_end - off)))
	ack:add(f.ack_cum, tvb(off, 4))
	ack:add(f.ack_largest, tvb(off + 4, 4))
	ack:add(f.ack_delay, tvb(off + 8, 4))
	ack:add(f.ack_first_len, tvb(off + 12, 4))
	local nr_item = ack:add(f.ack_nranges, tvb(off + 16, 1))
	local largest = tvb(off + 4, 4):uint()
	local smallest = u32(largest - tvb(off + 12, 4):uint())
	local acked = tvb(off + 12, 4):uint() + 1
	local r = ack:add(f.range, tvb(off + 4, 4))
	r:set_text(string.format("Range 0: %u-%u", smallest, largest))
	r:add(f.range_largest, largest):set_generated()
	r:add(f.range_smallest, smallest):set_generated()
	if nranges > MAX_RANGES then
		invalid(nr_item, "more than 32 ranges")
	end
	local info = string.format(" ACK cum=%u largest=%u", tvb(off, 4):uint(),
				   largest)
	for i = 0, nranges - 1 do
		local at = off + 17 + 8 * i
		if at + 8 > body_end then
			invalid(nr_item, "ranges run into the CRC")
			return nil, info
		end
		local gap, len = tvb(at, 4):uint(), tvb(at + 4, 4):uint()
		largest = u32(smallest - gap - 2)
		smallest = u32(largest - len)
		acked = acked + len + 1
		r = ack:add(f.range, tvb(at, 8))
		r:set_text(string.format("Range %d: %u-%u (gap %u, length %u)",
					 i + 1, smallest, largest, gap, len))
		r:add(f.ack_gap, tvb(at, 4))
		r:add(f.ack_len, tvb(at + 4, 4))
		r:add(f.range_largest, largest):set_generated()
		r:add(f.range_smallest, smallest):set_generated()
	end
	ack:add(f.acked, acked):set_generated()
	if nranges > 0 then
		info = info .. string.format(" nranges=%u", nranges)
	end
	return off + size, info
end

local function dissect_data(tvb, tree, body_end, flags)
	if body_end < 20 then
		invalid(tree, "DATA without its window edge")
		return ""
	end
	tree:add(f.window_edge, tvb(16, 4))
	local off, ack_info = 20, ""
	if band(flags, F_ACK) ~= 0 then
		off, ack_info = dissect_ack(tvb, tree, off, body_end)
		if off == nil then
			return ack_info
		end
	end
	local info = ""
	if band(flags, F_STREAM) ~= 0 then
		if off + 6 > body_end then
			invalid(tree, "STREAM section runs into the CRC")
			return info .. " STREAM?" .. ack_info
		end
		local dlen = tvb(off + 4, 2):uint()
		local have = body_end - off - 6
		local st = tree:add(f.stream, tvb(off, body_end - off))
		st:add(f.stream_offset, tvb(off, 4))
		local dl = st:add(f.stream_len, tvb(off + 4, 2))
		if dlen ~= have then
			invalid(dl, string.format("data_len %u, but %u bytes "
						  .. "reach the CRC", dlen,
						  have))
		end
		if dlen == 0 and band(flags, F_FIN) == 0 then
			invalid(dl, "empty STREAM section without FIN")
		end
		if have > 0 then
			st:add(f.stream_data, tvb(off + 6, have))
		end
		if band(flags, F_FIN) ~= 0 then
			st:add(f.fin_offset, u32(tvb(off, 4):uint() + dlen))
				:set_generated()
		end
		info = string.format(" off=%u len=%u", tvb(off, 4):uint(),
				     dlen)
		off = body_end
	end
	if band(flags, F_FIN) ~= 0 then
		info = info .. " FIN"
	end
	if band(flags, F_PING) ~= 0 then
		info = info .. " PING"
	end
	if off < body_end then
		invalid(tree:add(f.extra, tvb(off, body_end - off)),
			"bytes between the last section and the CRC")
	end
	return info .. ack_info ..
	       string.format(" edge=%u", tvb(16, 4):uint())
end

local function add_flags(tvb, tree, typ, sealed)
	local flags = tvb(2, 1):uint()
	local item = tree:add(f.flags, tvb(2, 1))
	if sealed and (typ == 1 or typ == 2) and flags == F_PUBLIC then
		-- Section 11: the public-key handshake's INIT or ACCEPT.
		item:append_text(" (public-key handshake)")
	elseif typ == 3 then
		item:add(f.flag_ack, tvb(2, 1))
		item:add(f.flag_stream, tvb(2, 1))
		item:add(f.flag_fin, tvb(2, 1))
		item:add(f.flag_ping, tvb(2, 1))
		item:add(f.flag_rsvd, tvb(2, 1))
		if band(flags, 0xF0) ~= 0 then
			invalid(item, "reserved flag bits set")
		end
		if band(flags, F_FIN) ~= 0 and band(flags, F_STREAM) == 0 then
			invalid(item, "FIN without STREAM")
		end
	elseif flags ~= 0 then
		invalid(item, "flags set on a type other than DATA")
	end
	return flags
end

-- RETRY: the listener asks the client for its INIT again with a cookie
-- (section 7.4, address validation).
local function dissect_retry(tvb, tree, body_end)
	if body_end < 17 then
		invalid(tree, "RETRY body too short for its token length")
		return ""
	end
	local tl_item = tree:add(f.token_len, tvb(16, 1))
	local tlen = tvb(16, 1):uint()
	if tlen == 0 or tlen > MAX_TOKEN then
		invalid(tl_item, "token_len not in 1..64")
	end
	if 17 + tlen ~= body_end then
		invalid(tl_item, "token does not end at the CRC")
		return string.format(" token=%u", tlen)
	end
	tree:add(f.token, tvb(17, tlen))
	return string.format(" token=%u", tlen)
end

local dissect_body = { [1] = dissect_init, [2] = dissect_accept,
		       [3] = dissect_data, [4] = dissect_reset,
		       [5] = dissect_retry }

-- The bytes a sealed datagram of type |typ| leaves in clear (section
-- 11): the header, and an INIT's or ACCEPT's scid, the nonce's source.
local function sealed_clear_len(typ, flags)
	if typ == 1 or typ == 2 then
		-- The public-key handshake adds the sender's ephemeral key.
		if flags == F_PUBLIC then
			return HEADER + 8 + EPHEMERAL
		end
		return HEADER + 8
	end
	return HEADER
end

-- A sealed datagram: the clear prefix, then ciphertext and tag as they
-- are.  Section 11's rules that need no key: a type that is ever sealed
-- (RETRY travels in clear) and room for the prefix and the tag.
local function dissect_sealed(tvb, tree, body_end, typ, flags)
	if typ == 5 then
		invalid(tree, "RETRY is never sealed")
		return ""
	end
	local clear = sealed_clear_len(typ, flags)
	if body_end < clear + TAG then
		invalid(tree, "too short for its clear prefix and tag")
		return ""
	end
	local info = ""
	if clear > HEADER then
		tree:add(f.scid, tvb(HEADER, 8))
		info = " scid=" .. hex64(tvb(HEADER, 8))
	end
	if clear == HEADER + 8 + EPHEMERAL then
		tree:add(f.ephemeral, tvb(HEADER + 8, EPHEMERAL))
		info = info .. " [public-key]"
	end
	local n = body_end - TAG - clear
	local s = tree:add(f.sealed, tvb(clear, body_end - clear))
	s:set_text(string.format("Sealed body: %u encrypted bytes and a "
				 .. "%u-byte tag", n, TAG))
	s:add(f.sealed_len, n):set_generated()
	if n > 0 then
		s:add(f.sealed_data, tvb(clear, n))
	end
	s:add(f.sealed_tag, tvb(clear + n, TAG))
	s:add_proto_expert_info(ef_sealed)
	return info .. string.format(" [sealed, %u encrypted bytes]", n)
end


-- Analysis.  A connection is { index, cid = { [0] = server's, [1] =
-- client's }, ep = { [0] = client's address, [1] = server's }, d = {
-- [0], [1] } }, with per direction (indexed by the sender) the packet
-- numbers seen, the largest, the stream bytes seen as sorted disjoint
-- ranges of positions, and what the other side said about this stream:
-- its cumulative offset and window edge.  Positions are 64-bit
-- expansions of wire offsets (section 7.3), kept in Lua numbers, exact
-- below 2^53.

local function serial_delta(w, prev)
	local d = (w - prev) % TWO32
	if d >= 2147483648 then
		d = d - TWO32
	end
	return d
end

-- Expands the 32-bit wire value |w| to a position, placed nearest the
-- last value expanded in |e|; the first value given becomes |first|.
local function expand(e, w, first)
	if e.last_w == nil then
		e.base, e.last_w, e.last_p = w, w, first
		return first
	end
	local p = e.last_p + serial_delta(w, e.last_w)
	e.last_w, e.last_p = w, p
	return p
end

-- The position of wire offset |w| in the stream of direction |s|: the
-- first offset given (the isn, or the first seen) is position 0.
local function position(s, w)
	return expand(s, w, 0)
end

-- Packet numbers keep their wire value, made monotonic across the wrap.
local function pn_position(s, w)
	return expand(s.pn_exp, w, w)
end

-- How many of the positions [a, b) the sorted ranges |r| hold.
local function ranges_count(r, a, b)
	local n = 0
	for _, x in ipairs(r) do
		local lo, hi = math.max(a, x[1]), math.min(b, x[2])
		if hi > lo then
			n = n + hi - lo
		end
	end
	return n
end

local function ranges_add(r, a, b)
	local out, placed = {}, false
	for _, x in ipairs(r) do
		if x[2] < a then
			out[#out + 1] = x
		elseif x[1] > b then
			if not placed then
				out[#out + 1] = { a, b }
				placed = true
			end
			out[#out + 1] = x
		else
			a, b = math.min(a, x[1]), math.max(b, x[2])
		end
	end
	if not placed then
		out[#out + 1] = { a, b }
	end
	return out
end

local function new_dir()
	return { pns = {}, seen = {}, pn_exp = {} }
end

local function addr_key(pinfo)
	local a = tostring(pinfo.src) .. "/" .. pinfo.src_port
	local b = tostring(pinfo.dst) .. "/" .. pinfo.dst_port
	if a < b then
		return a .. "|" .. b
	end
	return b .. "|" .. a
end

local function new_conn(pinfo, client_sends)
	local src = tostring(pinfo.src) .. "/" .. pinfo.src_port
	local dst = tostring(pinfo.dst) .. "/" .. pinfo.dst_port
	local c = { index = #conns, cid = {}, d = { [0] = new_dir(),
		    [1] = new_dir() } }
	c.ep = client_sends and { [0] = src, [1] = dst } or
	       { [0] = dst, [1] = src }
	conns[#conns + 1] = c
	return c
end

local function dir_by_addr(c, pinfo)
	local src = tostring(pinfo.src) .. "/" .. pinfo.src_port
	if src == c.ep[0] then
		return 0
	elseif src == c.ep[1] then
		return 1
	end
	return nil
end

-- The connection and direction of a valid datagram, from its connection
-- IDs; of a midstream capture's first datagrams, from its addresses.
local function find_conn(pinfo, typ, dcid, scid)
	local c, dir
	if typ == 1 or typ == 2 then
		-- Both name the client's ID: INIT as its scid, ACCEPT as its
		-- dcid.
		local client = typ == 1 and scid or dcid
		c = by_cid[client]
		if c == nil then
			c = new_conn(pinfo, typ == 1)
			c.cid[1] = client
			by_cid[client] = c
		end
		dir = typ - 1
	end
	if typ == 2 then
		if c.cid[0] == nil then
			c.cid[0] = scid
			by_cid[scid] = c
		end
	elseif typ ~= 1 then
		c = by_cid[dcid]
		if c ~= nil then
			dir = c.cid[0] == dcid and 0 or 1
		else
			c = by_addr[addr_key(pinfo)]
			dir = c and dir_by_addr(c, pinfo)
			if c == nil or dir == nil or c.cid[dir] ~= nil then
				c = new_conn(pinfo, true)
				dir = 0
			end
			c.cid[dir] = dcid
			by_cid[dcid] = c
		end
	end
	by_addr[addr_key(pinfo)] = c
	return c, dir
end

-- The offsets a DATA datagram carries: window edge, cum (if ACK) and
-- the stream's offset and length (if STREAM); decode checked them.
local function data_fields(tvb, flags)
	local v = { edge = tvb(16, 4):uint() }
	local off = 20
	if band(flags, F_ACK) ~= 0 then
		v.cum = tvb(off, 4):uint()
		off = off + 17 + 8 * tvb(off + 16, 1):uint()
	end
	if band(flags, F_STREAM) ~= 0 then
		v.offset = tvb(off, 4):uint()
		v.len = tvb(off + 4, 2):uint()
	end
	return v
end

-- Analyses one datagram on the first pass; returns what to show: the
-- stream index, the direction, relative values and expert infos.  Of a
-- |sealed| one only what is in clear: IDs and packet number.
local function analyse(tvb, pinfo, typ, flags, crc_ok, valid, sealed)
	local r = { experts = {} }
	local dcid = tvb(4, 8):uint64()
	local scid
	if (typ == 1 or typ == 2) and tvb:len() >= 24 + CRC_SIZE then
		scid = tvb(16, 8):uint64()
	end
	if not valid then
		-- Only a good CRC makes the IDs trustworthy; a late frame
		-- (see dissect) may only look its connection up.
		local c
		if pinfo.visited and crc_ok then
			c = by_cid[tostring(typ == 1 and scid or dcid)]
		end
		c = c or by_addr[addr_key(pinfo)]
		if c ~= nil then
			r.index, r.dir = c.index, dir_by_addr(c, pinfo)
		end
		return r
	end
	local c, dir = find_conn(pinfo, typ, tostring(dcid),
				 scid and tostring(scid))
	r.index, r.dir = c.index, dir
	local s, peer = c.d[dir], c.d[1 - dir]

	local pn = pn_position(s, tvb(12, 4):uint())
	if s.pns[pn] then
		r.experts[#r.experts + 1] = ef_dup
		return r
	end
	s.pns[pn] = true
	if s.pn_max ~= nil and pn < s.pn_max then
		r.experts[#r.experts + 1] = ef_ooo
	end
	if s.pn_max == nil or pn > s.pn_max then
		s.pn_max = pn
	end
	if sealed then
		return r
	end

	if typ == 1 or typ == 2 then
		-- Position 0 of this direction's stream is its isn; the
		-- window the sender announces is for the other direction.
		local isn = tvb(24, 4):uint()
		if s.base == nil then
			position(s, isn)
		end
		peer.init_window = tvb(28, 4):uint()
		if peer.base ~= nil then
			peer.edge = peer.last_p + serial_delta(
				(peer.base + peer.init_window) % TWO32,
				peer.last_w)
		end
		return r
	end
	if typ ~= 3 then
		return r
	end

	local v = data_fields(tvb, flags)
	-- This sender's ACK and window describe the peer's stream.
	if v.cum ~= nil then
		local cum = position(peer, v.cum)
		r.cum_rel = cum
		if peer.cum == nil or cum > peer.cum then
			peer.cum = cum
		end
	end
	r.edge_rel = position(peer, v.edge)
	peer.edge = r.edge_rel
	if peer.cum ~= nil then
		r.window_left = r.edge_rel - peer.cum
		if r.window_left <= 0 then
			r.experts[#r.experts + 1] = ef_zero_window
		end
	end

	if v.offset ~= nil and v.len > 0 then
		local a = position(s, v.offset)
		local b = a + v.len
		r.offset_rel, r.next_rel = a, b
		if ranges_count(s.seen, a, b) > 0 then
			if s.cum ~= nil and b <= s.cum then
				r.experts[#r.experts + 1] = ef_spurious
			else
				r.experts[#r.experts + 1] = ef_retx
			end
		end
		s.seen = ranges_add(s.seen, a, b)
		if s.edge ~= nil and b >= s.edge then
			r.experts[#r.experts + 1] = ef_window_full
		end
	elseif v.offset ~= nil then
		r.offset_rel = position(s, v.offset)
		r.next_rel = r.offset_rel
	end
	return r
end

local expert_tags = {
	[ef_retx] = "[Retransmission] ",
	[ef_spurious] = "[Spurious retransmission] ",
	[ef_ooo] = "[Out of order] ",
	[ef_dup] = "[Duplicate] ",
	[ef_zero_window] = "[Zero window] ",
	[ef_window_full] = "[Window full] ",
}

-- Shows the analysis |r| in |root|; returns the Info column's prefix.
local function show_analysis(tvb, root, r)
	local tag = ""
	if r.index == nil then
		return tag
	end
	root:add(f.stream_index, r.index):set_generated()
	if r.dir ~= nil then
		root:add(f.dir, r.dir):set_generated()
	end
	if r.edge_rel ~= nil then
		root:add(f.edge_rel, UInt64.new(r.edge_rel)):set_generated()
	end
	if r.window_left ~= nil then
		root:add(f.window_left, Int64.new(r.window_left)):set_generated()
	end
	if r.cum_rel ~= nil then
		root:add(f.cum_rel, UInt64.new(r.cum_rel)):set_generated()
	end
	if r.offset_rel ~= nil then
		root:add(f.offset_rel, UInt64.new(r.offset_rel)):set_generated()
		root:add(f.next_rel, UInt64.new(r.next_rel)):set_generated()
	end
	if #r.experts > 0 then
		local a = root:add(f.analysis, tvb(0, 0))
		a:set_generated()
		for _, e in ipairs(r.experts) do
			a:add_proto_expert_info(e)
			tag = tag .. expert_tags[e]
		end
	end
	return tag
end

local function dissect(tvb, pinfo, tree)
	local len = tvb:len()
	broke_rule = false
	crc_bad = false
	pinfo.cols.protocol = "RDT"
	local root = tree:add(rdt, tvb())
	root:add(f.len, len):set_generated()
	if len < MIN_LEN or len > MAX_DGRAM or
	   tvb:reported_length_remaining() ~= len then
		invalid(root, "length outside 20..65507, or truncated capture")
		pinfo.cols.info = string.format("rdt, %u bytes, not decodable",
						tvb:reported_length_remaining())
		return len
	end

	-- The CRC first: section 6 trusts no field before it.
	local body_end = len - CRC_SIZE
	local want = tvb(body_end, CRC_SIZE):uint()
	local got = cached_crc32c(tvb, pinfo, body_end)
	local crc_ok = want == got
	crc_bad = not crc_ok

	local version = tvb(0, 1):uint()
	local typ = tvb(1, 1):uint()
	local v_item = root:add(f.version, tvb(0, 1))
	root:add(f.type, tvb(1, 1))
	local flags = add_flags(tvb, root, typ,
				tvb(0, 1):uint() == SEALED_VERSION)
	local rsvd = root:add(f.reserved, tvb(3, 1))
	if tvb(3, 1):uint() ~= 0 then
		invalid(rsvd, "reserved byte is not 0")
	end
	root:add(f.dcid, tvb(4, 8))
	root:add(f.pn, tvb(12, 4))

	local name = type_names[typ] or string.format("type %u", typ)
	local info = string.format("%s pn=%u", name, tvb(12, 4):uint())
	local sealed = version == SEALED_VERSION
	if sealed and (typ < 1 or typ > 5) then
		invalid(root, "unknown type")
	elseif sealed then
		v_item:append_text(" (sealed: encrypted mode)")
		if typ == 2 or typ == 4 then
			info = info .. " dcid=" .. hex64(tvb(4, 8))
		end
		info = info .. dissect_sealed(tvb, root, body_end, typ, flags)
	elseif version ~= VERSION then
		v_item:add_proto_expert_info(ef_version,
			string.format("Version %u: body not decoded", version))
		info = string.format("rdt version %u, %s", version, info)
	elseif dissect_body[typ] == nil then
		invalid(root, "unknown type")
	else
		-- DATA's dcid is in every datagram of the flow: noise there.
		if typ == 2 or typ == 4 then
			info = info .. " dcid=" .. hex64(tvb(4, 8))
		end
		info = info .. dissect_body[typ](tvb, root, body_end, flags)
	end

	-- First pass: analyse, in capture order; later passes (tshark -2,
	-- Wireshark's clicks) show what the first one found.
	local key = pinfo.number .. ":" .. tvb:offset()
	local r = results[key]
	-- A frame first seen on a later pass (another heuristic dissector
	-- claimed it on the first, before this conversation was known to be
	-- rdt) comes too late to be analysed in order: it only gets its
	-- stream index.
	if r == nil then
		r = analyse(tvb, pinfo, typ, flags, crc_ok,
			    not pinfo.visited and
			    crc_ok and not broke_rule and
			    (version == VERSION or sealed) and
			    dissect_body[typ] ~= nil, sealed)
		results[key] = r
	end
	info = show_analysis(tvb, root, r) .. info

	local crc_item = root:add(f.crc, tvb(body_end, CRC_SIZE))
	crc_item:add(f.crc_computed, got):set_generated()
	crc_item:add(f.crc_status, crc_ok and 1 or 0):set_generated()
	if crc_ok then
		crc_item:append_text(" [correct]")
	else
		crc_item:append_text(string.format(" [incorrect, should be "
						   .. "0x%08x]", got))
		crc_item:add_proto_expert_info(ef_crc)
		info = info .. " [BAD CRC]"
	end
	root:append_text(", " .. info)
	pinfo.cols.info = info
	return len
end

-- The length of the first datagram of a train of sealed DATA, whose
-- fields are encrypted: where the CRC32C of the bytes before it first
-- appears, found in one pass of the CRC (one step per byte, so only
-- for a payload that is no datagram itself).  Cached per frame, in
-- train_cache (emptied with the other state).

local function sealed_train_seg(tvb, pinfo)
	local key = pinfo.number .. ":" .. tvb:offset()
	local seg = train_cache[key]
	if seg ~= nil then
		return seg or nil
	end
	seg = false
	local s = tvb:raw(0, tvb:len())
	local byte = string.byte
	local c = 0xFFFFFFFF
	-- The smallest sealed DATA: header, window edge, tag and CRC.
	local first = HEADER + 4 + TAG
	for k = 1, #s - CRC_SIZE - 1 do
		c = bxor(T0[bxor(c, byte(s, k)) % 256], (c - c % 256) / 256)
		    % TWO32
		if k >= first then
			local b0, b1, b2, b3 = byte(s, k + 1, k + 4)
			if bxor(c, 0xFFFFFFFF) % TWO32 ==
			   ((b0 * 256 + b1) * 256 + b2) * 256 + b3 then
				seg = k + CRC_SIZE
				break
			end
		end
	end
	train_cache[key] = seg
	return seg or nil
end

-- A sender with UDP segmentation offload (GSO) hands the kernel trains
-- of full DATA datagrams, and a capture on loopback records each train
-- as one UDP payload: the datagrams back to back, each with its CRC.  The
-- length of the first comes from its own fields (or, sealed, from where
-- its CRC is); nil when the payload is not such a train.
local function train_seg(tvb, pinfo)
	local len = tvb:len()
	if len >= 2 * (SMALLEST + TAG) and
	   tvb(0, 1):uint() == SEALED_VERSION and tvb(1, 1):uint() == 3 then
		return sealed_train_seg(tvb, pinfo)
	end
	if len < 2 * SMALLEST or tvb(0, 1):uint() ~= VERSION or
	   tvb(1, 1):uint() ~= 3 then
		return nil
	end
	local flags = tvb(2, 1):uint()
	local off = 20
	if band(flags, F_ACK) ~= 0 then
		if off + 17 > len then
			return nil
		end
		off = off + 17 + 8 * tvb(off + 16, 1):uint()
	end
	if band(flags, F_STREAM) ~= 0 then
		if off + 6 > len then
			return nil
		end
		off = off + 6 + tvb(off + 4, 2):uint()
	end
	local seg = off + CRC_SIZE
	if seg < SMALLEST or seg >= len or
	   cached_crc32c(tvb, pinfo, seg - CRC_SIZE) ~=
	   tvb(seg - CRC_SIZE, 4):uint() then
		return nil
	end
	return seg
end

-- Each datagram of a GSO train on its own, as if it had its own frame.
local function dissect_train(tvb, pinfo, tree, seg)
	local len = tvb:len()
	local at, n, first = 0, 0, nil
	while at < len do
		local k = math.min(seg, len - at)
		dissect(tvb(at, k):tvb(), pinfo, tree)
		first = first or tostring(pinfo.cols.info)
		n = n + 1
		at = at + k
	end
	pinfo.cols.info = string.format("[GSO train of %u] %s ...", n, first)
	return len
end

local function dissect_any(tvb, pinfo, tree)
	local len = tvb:len()
	if len > SMALLEST and len <= MAX_DGRAM and
	   cached_crc32c(tvb, pinfo, len - CRC_SIZE) ~=
	   tvb(len - CRC_SIZE, 4):uint() then
		local seg = train_seg(tvb, pinfo)
		if seg then
			return dissect_train(tvb, pinfo, tree, seg)
		end
	end
	return dissect(tvb, pinfo, tree)
end

rdt.dissector = dissect_any

-- Section 9: cheap tests first, the CRC last.
local plausible_len = {
	[1] = function(n) return n >= INIT_MIN end,
	[2] = function(n) return n == ACCEPT_LEN end,
	[3] = function(n) return n >= SMALLEST end,
	[4] = function(n) return n == RESET_LEN or n == RESET_TOKEN_LEN end,
	[5] = function(n) return n > 21 and n <= 21 + MAX_TOKEN end,
}

local function heuristic(tvb, pinfo, tree)
	local len = tvb:len()
	if len < SMALLEST or len > MAX_DGRAM or
	   tvb:reported_length_remaining() ~= len then
		return false
	end
	local typ = tvb(1, 1):uint()
	local version = tvb(0, 1):uint()
	-- A sealed datagram is the version 1 one and a tag (and, in the
	-- public-key handshake, an ephemeral key); RETRY never is.
	local plain = len
	if version == SEALED_VERSION then
		plain = len - TAG
		if (typ == 1 or typ == 2) and tvb(2, 1):uint() == F_PUBLIC then
			plain = plain - EPHEMERAL
		end
	end
	if (version ~= VERSION and (version ~= SEALED_VERSION or typ == 5)) or
	   tvb(3, 1):uint() ~= 0 or
	   plausible_len[typ] == nil or not plausible_len[typ](plain) then
		return false
	end
	if cached_crc32c(tvb, pinfo, len - CRC_SIZE) ~=
	   tvb(len - CRC_SIZE, 4):uint() then
		local seg = train_seg(tvb, pinfo)
		if not seg then
			return false
		end
		pinfo.conversation = rdt
		dissect_train(tvb, pinfo, tree, seg)
		return true
	end
	-- The rest of this conversation is rdt even where corrupted.
	pinfo.conversation = rdt
	dissect(tvb, pinfo, tree)
	return true
end

rdt:register_heuristic("udp", heuristic)

local udp_port = DissectorTable.get("udp.port")
udp_port:add_for_decode_as(rdt)

local pref_ports = ""
function rdt.prefs_changed()
	if pref_ports ~= "" then
		udp_port:remove(pref_ports, rdt)
	end
	pref_ports = tostring(rdt.prefs.ports)
	if pref_ports ~= "" then
		udp_port:add(pref_ports, rdt)
	end
end
