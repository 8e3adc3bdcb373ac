#!/usr/bin/env python3
"""Adds the frozen known-answer vaults (Keys/known-answers/v*) to the fuzz
corpus: every log entry whole and its body alone, every stored record,
every checkpoint note, every keyfile. These are the formats of every
earlier version, the inputs most worth mutating. Run from the repository
root; the Swift seed writer (FuzzSeedWriter) adds the rest."""
import hashlib
import pathlib
import sqlite3
import struct

root = pathlib.Path(__file__).resolve().parent.parent
corpus = root / "Fuzz" / "corpus"


def save(target, name, data):
    folder = corpus / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"frozen-{name}").write_bytes(data)


for version in sorted((root / "Keys" / "known-answers").glob("v*")):
    tag = version.name
    db = sqlite3.connect(f"file:{version / 'vault.kith'}?mode=ro&immutable=1", uri=True)
    for seq, entry in db.execute("select seq, entry from log_entries order by seq"):
        save("log-entry", f"{tag}-{seq}", entry)
        # version u8, type u8, seq u64, previous 32, time u64, actor 16, body (u32 length)
        offset = 1 + 1 + 8 + 32 + 8 + 16
        (length,) = struct.unpack(">I", entry[offset:offset + 4])
        save("entry-body", f"{tag}-{seq}", entry[1:2] + entry[offset + 4:offset + 4 + length])
    for body, in db.execute("select body from records"):
        save("stored-record", f"{tag}-{hashlib.sha256(body).hexdigest()[:12]}", body)
    for size, note in db.execute("select size, note from checkpoints"):
        save("checkpoint", f"{tag}-{size}", note.encode())
        save("signed-note", f"{tag}-{size}", note.encode())
    for keyfile in version.glob("*.kithid"):
        save("keyfile", f"{tag}-{keyfile.stem}", keyfile.read_bytes())
