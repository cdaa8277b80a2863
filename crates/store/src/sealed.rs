//! Files sealed with the STREAM construction (XChaCha20-Poly1305, 64 KiB
//! chunks, a 32-bit big-endian chunk counter and a last-chunk flag in the
//! nonce): a 4-byte magic, the 19-byte random nonce prefix, then each chunk
//! with its 16-byte tag. Written as a stream ([`SealWriter`], one chunk in
//! memory) and read back from any offset ([`OpenReader`], one chunk in
//! memory), so a file of any size costs two chunks of memory either way.
//! A chunk changed, moved, dropped or added, or a file cut at a chunk
//! boundary, fails to open.

use std::io::{self, Read, Seek, SeekFrom, Write};

use aead_stream::{NewStream, StreamBE32, StreamPrimitive};
use chacha20poly1305::XChaCha20Poly1305;
use chacha20poly1305::aead::KeyInit;

use crate::crypto::Key32;

/// Plaintext bytes per chunk.
pub(crate) const CHUNK: usize = 64 * 1024;
/// The tag each chunk carries.
pub(crate) const TAG: usize = 16;
/// The random nonce prefix (24-byte nonce less the 5 the counter takes).
pub(crate) const NONCE_PREFIX: usize = 19;
/// Magic and nonce prefix.
pub(crate) const HEADER: usize = 4 + NONCE_PREFIX;

fn stream(key: &Key32, prefix: &[u8; NONCE_PREFIX]) -> StreamBE32<XChaCha20Poly1305> {
    StreamBE32::from_aead(XChaCha20Poly1305::new(&key.0.into()), &(*prefix).into())
}

fn damaged() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        "a sealed file is damaged or was sealed with another key",
    )
}

/// Seals what is written to it into `out`; [`SealWriter::finish`] seals the
/// last chunk (a chunk is sealed only once it is known whether more follows).
pub(crate) struct SealWriter<W: Write> {
    out: W,
    stream: StreamBE32<XChaCha20Poly1305>,
    aad: Vec<u8>,
    buf: Vec<u8>,
    position: u32,
}

impl<W: Write> SealWriter<W> {
    /// Writes the header to `out`; `aad` is bound to every chunk.
    pub(crate) fn new(mut out: W, magic: &[u8; 4], key: &Key32, aad: &[u8]) -> io::Result<Self> {
        let prefix: [u8; NONCE_PREFIX] = rand::random();
        out.write_all(magic)?;
        out.write_all(&prefix)?;
        Ok(Self {
            out,
            stream: stream(key, &prefix),
            aad: aad.to_vec(),
            buf: Vec::with_capacity(CHUNK + TAG),
            position: 0,
        })
    }

    fn seal(&mut self, last: bool) -> io::Result<()> {
        self.stream
            .encrypt_in_place(self.position, last, &self.aad, &mut self.buf)
            .map_err(|_| io::Error::other("a chunk could not be sealed"))?;
        self.out.write_all(&self.buf)?;
        self.buf.clear();
        self.position = self
            .position
            .checked_add(1)
            .ok_or_else(|| io::Error::other("the file is too large to seal"))?;
        Ok(())
    }

    /// Seals the last chunk and hands back the output.
    pub(crate) fn finish(mut self) -> io::Result<W> {
        self.seal(true)?;
        self.out.flush()?;
        Ok(self.out)
    }
}

impl<W: Write> Write for SealWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if data.is_empty() {
            return Ok(0);
        }
        if self.buf.len() == CHUNK {
            self.seal(false)?;
        }
        let n = data.len().min(CHUNK - self.buf.len());
        self.buf.extend_from_slice(&data[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Reads a sealed file back from any offset, checking each chunk as it is read.
pub(crate) struct OpenReader<R: Read + Seek> {
    file: R,
    stream: StreamBE32<XChaCha20Poly1305>,
    aad: Vec<u8>,
    /// Plaintext length, from the file's length.
    len: u64,
    /// The chunks, the last one's index.
    last: u64,
    /// Where the reader is, in plaintext.
    at: u64,
    /// The chunk held, its index and plaintext.
    held: Option<(u64, Vec<u8>)>,
}

impl<R: Read + Seek> OpenReader<R> {
    /// Checks the header; fails on another magic or a length no sealed file has.
    pub(crate) fn new(mut file: R, magic: &[u8; 4], key: &Key32, aad: &[u8]) -> io::Result<Self> {
        let size = file.seek(SeekFrom::End(0))?;
        file.seek(SeekFrom::Start(0))?;
        let mut header = [0u8; HEADER];
        file.read_exact(&mut header).map_err(|_| damaged())?;
        if &header[..4] != magic {
            return Err(damaged());
        }
        let prefix: [u8; NONCE_PREFIX] = header[4..].try_into().map_err(|_| damaged())?;
        let body = size - HEADER as u64;
        let sealed = (CHUNK + TAG) as u64;
        let (full, rest) = (body / sealed, body % sealed);
        let (len, last) = match (full, rest) {
            (0, r) if r < TAG as u64 => return Err(damaged()),
            (f, 0) => (f * CHUNK as u64, f - 1),
            (_, r) if r < TAG as u64 => return Err(damaged()),
            (f, r) => (f * CHUNK as u64 + r - TAG as u64, f),
        };
        Ok(Self {
            file,
            stream: stream(key, &prefix),
            aad: aad.to_vec(),
            len,
            last,
            at: 0,
            held: None,
        })
    }

    /// The plaintext length.
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    fn load(&mut self, index: u64) -> io::Result<()> {
        if self.held.as_ref().is_some_and(|(i, _)| *i == index) {
            return Ok(());
        }
        let position = u32::try_from(index).map_err(|_| damaged())?;
        let sealed = (CHUNK + TAG) as u64;
        self.file
            .seek(SeekFrom::Start(HEADER as u64 + index * sealed))?;
        let size = if index == self.last {
            (self.len - index * CHUNK as u64) as usize + TAG
        } else {
            CHUNK + TAG
        };
        let mut buf = match self.held.take() {
            Some((_, mut b)) => {
                b.clear();
                b
            }
            None => Vec::with_capacity(CHUNK + TAG),
        };
        buf.resize(size, 0);
        self.file.read_exact(&mut buf).map_err(|_| damaged())?;
        self.stream
            .decrypt_in_place(position, index == self.last, &self.aad, &mut buf)
            .map_err(|_| damaged())?;
        self.held = Some((index, buf));
        Ok(())
    }
}

impl<R: Read + Seek> Read for OpenReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() || self.at >= self.len {
            // The last chunk is checked even when nothing of it is read, so
            // a file cut at a chunk boundary never reads as a whole one.
            if self.at >= self.len && self.held.as_ref().is_none_or(|(i, _)| *i != self.last) {
                self.load(self.last)?;
            }
            return Ok(0);
        }
        let index = self.at / CHUNK as u64;
        self.load(index)?;
        let (_, chunk) = self.held.as_ref().ok_or_else(damaged)?;
        let from = (self.at - index * CHUNK as u64) as usize;
        let n = out.len().min(chunk.len() - from);
        out[..n].copy_from_slice(&chunk[from..from + n]);
        self.at += n as u64;
        Ok(n)
    }
}

impl<R: Read + Seek> Seek for OpenReader<R> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let at = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.at.checked_add_signed(d),
        };
        self.at =
            at.ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before the start"))?;
        Ok(self.at)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;

    const MAGIC: &[u8; 4] = b"TST1";

    fn seal(key: &Key32, body: &[u8]) -> Vec<u8> {
        let mut w = SealWriter::new(Vec::new(), MAGIC, key, b"name").unwrap();
        // Written in odd pieces, as a stream arrives.
        for piece in body.chunks(7_001) {
            w.write_all(piece).unwrap();
        }
        w.finish().unwrap()
    }

    fn open(key: &Key32, sealed: Vec<u8>) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        OpenReader::new(Cursor::new(sealed), MAGIC, key, b"name")?.read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn every_size_round_trips_and_any_damage_is_caught() {
        let key = Key32::random();
        for len in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 7] {
            let body: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let sealed = seal(&key, &body);
            assert_eq!(open(&key, sealed.clone()).unwrap(), body, "len {len}");
            let mut flipped = sealed.clone();
            let last = flipped.len() - 1;
            flipped[last] ^= 1;
            assert!(open(&key, flipped).is_err(), "len {len}");
            assert!(open(&Key32::random(), sealed.clone()).is_err());
            if len > CHUNK {
                let cut = sealed[..HEADER + CHUNK + TAG].to_vec();
                assert!(
                    open(&key, cut).is_err(),
                    "cut at a chunk boundary, len {len}"
                );
            }
        }
    }

    #[test]
    fn reads_from_any_offset() {
        let key = Key32::random();
        let body: Vec<u8> = (0..3 * CHUNK + 99).map(|i| (i % 253) as u8).collect();
        let mut r = OpenReader::new(Cursor::new(seal(&key, &body)), MAGIC, &key, b"name").unwrap();
        assert_eq!(r.len(), body.len() as u64);
        for at in [0, 5, CHUNK - 3, CHUNK, 2 * CHUNK + 17, body.len() - 4] {
            r.seek(SeekFrom::Start(at as u64)).unwrap();
            let mut got = [0u8; 10];
            let n = r.read(&mut got).unwrap();
            assert!(n > 0);
            assert_eq!(&got[..n], &body[at..at + n], "at {at}");
        }
        assert_eq!(r.seek(SeekFrom::End(-1)).unwrap(), body.len() as u64 - 1);
    }
}
