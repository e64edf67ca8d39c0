package dev.cairn.meta;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class FileInodeTest {

  private final FileInode file = new FileInode(NameBytes.encode("f"), 1, 1, 0, 3);

  @Test
  void aNewFileIsEmpty() {
    assertThat(file.pieces()).isEmpty();
    assertThat(file.size()).isZero();
    assertThat(file.inlineBytes()).isZero();
  }

  @Test
  void oneInlinePieceIsKeptAsItsBytes() {
    byte[] bytes = {1, 2, 3};
    file.setPieces(List.of(bytes));
    assertThat(file.pieces()).hasSize(1);
    assertThat(file.pieces().get(0)).isSameAs(bytes);
    assertThat(file.size()).isEqualTo(3);
    assertThat(file.inlineBytes()).isEqualTo(3);
  }

  @Test
  void oneBlockIsKeptAsItself() {
    BlockInfo block = new BlockInfo(7, 1000, file, List.of("n1"));
    file.setPieces(List.of(block));
    assertThat(file.pieces()).containsExactly(block);
    assertThat(file.size()).isEqualTo(1000);
    assertThat(file.inlineBytes()).isZero();
  }

  @Test
  void manyPiecesKeepTheirOrderAndSize() {
    BlockInfo first = new BlockInfo(7, 1000, file, List.of("n1"));
    byte[] middle = {1, 2};
    BlockInfo last = new BlockInfo(3, 10, file, List.of());
    file.setPieces(List.of(first, middle, last));
    assertThat(file.pieces()).containsExactly(first, middle, last);
    assertThat(file.size()).isEqualTo(1012);
    assertThat(file.inlineBytes()).isEqualTo(2);
    // Replacing the content forgets the old pieces, down to none.
    file.setPieces(List.of());
    assertThat(file.pieces()).isEmpty();
    assertThat(file.size()).isZero();
  }

  @Test
  void thePiecesAreReadOnly() {
    file.setPieces(List.of(new byte[] {1}, new byte[] {2}));
    assertThatThrownBy(() -> file.pieces().set(0, new byte[] {3}))
        .isInstanceOf(UnsupportedOperationException.class);
    file.setPieces(List.of(new byte[] {1}));
    assertThatThrownBy(() -> file.pieces().add(new byte[] {3}))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void aSizeOverSixtyFourBitsIsRefused() {
    BlockInfo huge = new BlockInfo(1, Long.MAX_VALUE, file, List.of());
    BlockInfo more = new BlockInfo(2, 1, file, List.of());
    assertThatThrownBy(() -> file.setPieces(List.of(huge, more)))
        .isInstanceOf(ArithmeticException.class);
  }

  @Test
  void onlyBlocksAndBytesArePieces() {
    assertThat(FileInode.length(new byte[5])).isEqualTo(5);
    assertThatThrownBy(() -> FileInode.length("text"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not a piece");
  }
}
