package dev.cairn.meta;

import com.google.protobuf.ByteString;

/**
 * A file: its content as a list of pieces (blocks and inline bytes), its size and the replication
 * wanted for its blocks. Holds no maps, so that a namespace of millions of files stays small.
 */
final class FileInode extends Inode {

  /** One piece of a file's content: a {@link BlockInfo} or {@link Inline} bytes. */
  sealed interface Piece permits BlockInfo, Inline {
    long length();
  }

  /** Bytes kept in the namespace itself. Never empty: empty extents are dropped on commit. */
  record Inline(ByteString data) implements Piece {
    @Override
    public long length() {
      return data.size();
    }
  }

  static final Piece[] NO_PIECES = new Piece[0];

  Piece[] pieces = NO_PIECES;

  /** The sum of the pieces' lengths. */
  long size;

  /** The number of replicas wanted for each of the file's blocks. */
  int replication;

  FileInode(String name, long fileId, long version, long mtimeMs, int replication) {
    super(name, fileId, version, mtimeMs);
    this.replication = replication;
  }

  @Override
  boolean isDirectory() {
    return false;
  }

  /** The number of bytes held inline, which the per-file inline limit bounds. */
  long inlineBytes() {
    long total = 0;
    for (Piece piece : pieces) {
      if (piece instanceof Inline inline) {
        total += inline.data().size();
      }
    }
    return total;
  }
}
