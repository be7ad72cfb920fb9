"""Asking ext2/3/4 to spread a folder's subfolders over the disk (`chattr +T`, the Orlov allocator's
"top of a directory hierarchy" hint), so the blob folders do not all share the block group of the data
folder.

Without it, the 256 blob folders are placed near their parent, and every new file's inode is looked for
in its folder's group. On ext4 without a journal, that search skips one by one the inodes freed there in
the last minutes: after a test suite removed 40,000 files nearby, creating a file in a blob folder cost
126-474 µs, and 16-33 µs with the hint (`site/maintainers/storage.md`). Other file systems have no such
hint; there nothing changes.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import struct
import sys
from pathlib import Path

GET_FLAGS, SET_FLAGS = 0x80086601, 0x40086602  # FS_IOC_GETFLAGS, FS_IOC_SETFLAGS (64-bit Linux)
TOP_DIRECTORY = 0x00020000  # FS_TOPDIR_FL


def spread(folder: Path) -> bool:
    """Mark `folder` so that the subfolders made in it from now on are spread apart; whether it is."""
    if not sys.platform.startswith("linux"):  # the request numbers are Linux's
        return False
    with contextlib.suppress(OSError):
        descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            flags = _flags(descriptor)
            if not flags & TOP_DIRECTORY:
                fcntl.ioctl(descriptor, SET_FLAGS, struct.pack("=iI", flags | TOP_DIRECTORY, 0))
            return bool(_flags(descriptor) & TOP_DIRECTORY)
        finally:
            os.close(descriptor)
    return False


def _flags(descriptor: int) -> int:
    answer = bytearray(8)  # the kernel writes an int; room for a long as the request's size says
    fcntl.ioctl(descriptor, GET_FLAGS, answer)
    return int(struct.unpack_from("=i", answer)[0])
