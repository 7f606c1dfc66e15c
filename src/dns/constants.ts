// The DNS numbers disco uses, in one place (RFC 1035, 2782, 3225, 6891, 8482).

export const RCODE = { noError: 0, formErr: 1, servFail: 2, nxDomain: 3, notImp: 4, refused: 5 } as const;
/** An extended rcode (RFC 6891 §9): its upper eight bits travel in the OPT record. */
export const BADVERS = 16;

export const TYPE = { A: 1, NS: 2, SOA: 6, PTR: 12, HINFO: 13, TXT: 16, AAAA: 28, SRV: 33, OPT: 41, ANY: 255 } as const;
export const CLASS = { IN: 1, ANY: 255 } as const;

export const HEADER_BYTES = 12;
/** Header flag bits, as they sit in the 16-bit flags word. */
export const FLAG = { QR: 0x8000, AA: 0x0400, TC: 0x0200, RD: 0x0100, RA: 0x0080, CD: 0x0010 } as const;
/** The DO bit in the flags of an OPT record (RFC 3225). */
export const EDNS_DO = 0x8000;

/** Without EDNS a UDP reply holds at most this (RFC 1035 §4.2.1). */
export const MIN_UDP_PAYLOAD = 512;
/** The DNS Flag Day 2020 size: no IP fragmentation on common paths. */
export const MAX_UDP_PAYLOAD = 1232;
export const MAX_TCP_MESSAGE = 65535;

/**
 * Bursts of queries wait in the kernel while one answer is made; the default buffer (about
 * 200 KiB) overflows and loses queries under load. The kernel caps this at net.core.rmem_max.
 */
export const UDP_RECEIVE_BUFFER = 4 * 1024 * 1024;
