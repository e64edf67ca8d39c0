package dev.cairn.meta;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * A file: its content as a list of pieces, and the replication wanted for its blocks. A piece is a
 * {@link BlockInfo} or a {@code byte[]} of bytes kept inline in the namespace; inline pieces are
 * never empty, since empty extents are dropped on commit, and their arrays are never written into.
 *
 * <p>Holds no maps, and stores the content in the smallest form for its shape, so that a namespace
 * of millions of files stays small: most files have one piece or none, and they pay for no array
 * of pieces, no wrapper around their inline bytes and no size field.
 */
final class FileInode extends Inode {

  /** The content of a file of two or more pieces, with the sum of their lengths. */
  private record Pieces(Object[] pieces, long size) {}

  /**
   * The content: null for an empty file, the piece itself for a file of one piece, and {@link
   * Pieces} for a file of more.
   */
  private Object content;

  /** The number of replicas wanted for each of the file's blocks. */
  int replication;

  FileInode(byte[] name, long fileId, long version, long mtimeMs, int replication) {
    super(name, fileId, version, mtimeMs);
    this.replication = replication;
  }

  @Override
  boolean isDirectory() {
    return false;
  }

  /** The pieces in file order: a read-only view, valid until the next {@link #setPieces}. */
  List<Object> pieces() {
    return switch (content) {
      case null -> List.of();
      case Pieces many -> Collections.unmodifiableList(Arrays.asList(many.pieces()));
      default -> List.of(content);
    };
  }

  /**
   * Replaces the content with {@code pieces}, which must not be empty inline pieces.
   *
   * @throws ArithmeticException if their lengths add up to more than 64 bits hold: the caller
   *     checks that first, to fail with its own message
   */
  void setPieces(List<Object> pieces) {
    content =
        switch (pieces.size()) {
          case 0 -> null;
          case 1 -> pieces.get(0);
          default -> {
            long size = 0;
            for (Object piece : pieces) {
              size = Math.addExact(size, length(piece));
            }
            yield new Pieces(pieces.toArray(), size);
          }
        };
  }

  /** The sum of the pieces' lengths. */
  long size() {
    return switch (content) {
      case null -> 0;
      case Pieces many -> many.size();
      default -> length(content);
    };
  }

  /** The number of bytes held inline, which the per-file inline limit bounds. */
  long inlineBytes() {
    long total = 0;
    for (Object piece : pieces()) {
      if (piece instanceof byte[] inline) {
        total += inline.length;
      }
    }
    return total;
  }

  /** The length of a piece. */
  static long length(Object piece) {
    return switch (piece) {
      case BlockInfo block -> block.length();
      case byte[] inline -> inline.length;
      default -> throw new IllegalArgumentException("not a piece of a file: " + piece.getClass());
    };
  }
}
