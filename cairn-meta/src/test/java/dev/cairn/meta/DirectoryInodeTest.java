package dev.cairn.meta;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class DirectoryInodeTest {

  private final DirectoryInode dir = directory("d");

  private static DirectoryInode directory(String name) {
    return new DirectoryInode(NameBytes.encode(name), 1, 1, 0);
  }

  private static FileInode file(String name) {
    return new FileInode(NameBytes.encode(name), 2, 2, 0, 3);
  }

  private List<String> names() {
    return dir.children().stream().map(Inode::name).toList();
  }

  @Test
  void anEmptyDirectoryHoldsNoArray() {
    assertThat(dir.isEmpty()).isTrue();
    assertThat(dir.childCount()).isZero();
    assertThat(dir.children()).isEmpty();
    assertThat(dir.capacity()).isZero();
    assertThat(dir.child("x")).isNull();
  }

  @Test
  void entriesAreKeptInNameOrderWhateverTheLinkOrder() {
    for (String name : List.of("m", "b", "z", "a", "mm", "B", "y")) {
      dir.link(file(name));
    }
    assertThat(names()).containsExactly("B", "a", "b", "m", "mm", "y", "z");
    assertThat(dir.childCount()).isEqualTo(7);
    assertThat(dir.isEmpty()).isFalse();
  }

  @Test
  void lookupFindsEachEntryByStringOrBytes() {
    FileInode f = file("f");
    DirectoryInode sub = directory("sub");
    dir.link(sub);
    dir.link(f);
    assertThat(dir.child("f")).isSameAs(f);
    assertThat(dir.child(NameBytes.encode("sub"))).isSameAs(sub);
    assertThat(dir.child("g")).isNull();
    assertThat(dir.child("")).isNull();
    assertThat(f.parent).isSameAs(dir);
    assertThat(sub.parent).isSameAs(dir);
  }

  @Test
  void nonAsciiNamesAreOrderedAsStrings() {
    List<String> names =
        List.of(
            "\ud83d\ude00", "\uff21", "\ue000", "\u00e9", "e", "\u4e2d\u6587", "\ud834\udd1e",
            "\ufffd", "z\u0301", "Z");
    for (String name : names) {
      dir.link(file(name));
    }
    assertThat(names()).isEqualTo(names.stream().sorted().toList());
    // Above U+FFFF sorts before U+E000 to U+FFFF, as String.compareTo has it.
    assertThat(names().indexOf("\ud83d\ude00")).isLessThan(names().indexOf("\ue000"));
    for (String name : names) {
      assertThat(dir.child(name).name()).isEqualTo(name);
    }
  }

  @Test
  void linkingATakenNameFailsAndChangesNothing() {
    FileInode first = file("x");
    dir.link(first);
    FileInode second = file("x");
    assertThatThrownBy(() -> dir.link(second))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("entry x already exists");
    assertThat(dir.child("x")).isSameAs(first);
    assertThat(dir.childCount()).isEqualTo(1);
    assertThat(second.parent).isNull();
  }

  @Test
  void unlinkingRemovesOnlyThatEntry() {
    FileInode a = file("a");
    FileInode b = file("b");
    FileInode c = file("c");
    dir.link(a);
    dir.link(b);
    dir.link(c);
    dir.unlink(b);
    assertThat(names()).containsExactly("a", "c");
    assertThat(b.parent).isNull();
    assertThat(dir.child("b")).isNull();
    dir.unlink(a);
    dir.unlink(c);
    assertThat(dir.isEmpty()).isTrue();
    assertThat(dir.capacity()).isZero();
  }

  @Test
  void unlinkingAnEntryThatIsNotThereFails() {
    FileInode linked = file("x");
    dir.link(linked);
    assertThatThrownBy(() -> dir.unlink(file("y")))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("entry y is not in");
    // Another object of the same name is not the entry either.
    assertThatThrownBy(() -> dir.unlink(file("x"))).isInstanceOf(IllegalStateException.class);
    assertThat(dir.child("x")).isSameAs(linked);
    assertThat(linked.parent).isSameAs(dir);
  }

  @Test
  void theArrayGrowsByHalf() {
    List<Integer> capacities = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      dir.link(file(String.format("f%02d", i)));
      if (capacities.isEmpty() || capacities.getLast() != dir.capacity()) {
        capacities.add(dir.capacity());
      }
    }
    assertThat(capacities).containsExactly(2, 3, 4, 6, 9, 13, 19, 28);
  }

  @Test
  void theArrayShrinksWhenThreeQuartersAreEmpty() {
    List<FileInode> files = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      FileInode f = file(String.format("f%03d", i));
      files.add(f);
      dir.link(f);
    }
    int full = dir.capacity();
    assertThat(full).isGreaterThanOrEqualTo(100);
    // Down to a quarter of the array (rounded down), the array stays.
    while (dir.childCount() > full / 4 + 1) {
      dir.unlink(files.removeLast());
    }
    assertThat(dir.capacity()).isEqualTo(full);
    dir.unlink(files.removeLast());
    int left = dir.childCount();
    assertThat(left).isEqualTo(full / 4);
    assertThat(dir.capacity()).isEqualTo(left + left / 2);
    assertThat(names()).isEqualTo(files.stream().map(Inode::name).toList());
    // Removing from the middle keeps the rest in order and findable.
    FileInode middle = files.remove(files.size() / 2);
    dir.unlink(middle);
    assertThat(names()).isEqualTo(files.stream().map(Inode::name).toList());
    for (FileInode f : files) {
      assertThat(dir.child(f.name)).isSameAs(f);
    }
  }

  @Test
  void theViewIsReadOnly() {
    dir.link(file("a"));
    assertThatThrownBy(() -> dir.children().remove(0))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> dir.children().add(file("b")))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void renamingInPlaceMovesOnlyTheEntriesBetween() {
    for (String name : List.of("b", "d", "f", "h")) {
      dir.link(file(name));
    }
    Inode d = dir.child("d");
    // Down past two entries, then up past three, then to a place that moves nothing.
    dir.renameAt(dir.slotOf(d.name), dir.slotOf(NameBytes.encode("g")), NameBytes.encode("g"));
    assertThat(names()).containsExactly("b", "f", "g", "h");
    dir.renameAt(dir.slotOf(d.name), dir.slotOf(NameBytes.encode("a")), NameBytes.encode("a"));
    assertThat(names()).containsExactly("a", "b", "f", "h");
    dir.renameAt(dir.slotOf(d.name), dir.slotOf(NameBytes.encode("aa")), NameBytes.encode("aa"));
    assertThat(names()).containsExactly("aa", "b", "f", "h");
    assertThat(dir.child("aa")).isSameAs(d);
    assertThat(d.parent).isSameAs(dir);
  }

  @Test
  void aSlotThatNoLongerFitsIsRefusedAndChangesNothing() {
    for (String name : List.of("b", "d", "f")) {
      dir.link(file(name));
    }
    int slotOfC = dir.slotOf(NameBytes.encode("c"));
    int slotOfE = dir.slotOf(NameBytes.encode("e"));
    dir.unlink(dir.child("b"));
    FileInode c = file("c");
    // "c" went between "b" and "d"; with "b" gone, that slot is now after "d".
    assertThatThrownBy(() -> dir.linkAt(slotOfC, c))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("is not where c sorts");
    assertThatThrownBy(() -> dir.linkAt(dir.slotOf(NameBytes.encode("d")), file("d")))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("entry d already exists");
    assertThatThrownBy(
            () -> dir.renameAt(dir.slotOf(NameBytes.encode("d")), slotOfE, NameBytes.encode("e")))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("is not where e sorts");
    assertThatThrownBy(() -> dir.linkAt(-(dir.childCount() + 2), c))
        .isInstanceOf(IllegalStateException.class);
    assertThat(names()).containsExactly("d", "f");
    assertThat(c.parent).isNull();
  }

  @Test
  void randomLinksUnlinksAndRenamesMatchASortedMap() {
    Random random = new Random(7);
    TreeMap<String, Inode> model = new TreeMap<>();
    String[] pieces = {"a", "b", "\u00e9", "\ue000", "\ud83d\ude00", "1", "Z"};
    for (int step = 0; step < 20_000; step++) {
      String name = randomName(random, pieces);
      Inode present = model.get(name);
      String newName = randomName(random, pieces);
      int choice = random.nextInt(3);
      if (present != null && choice == 1 && !model.containsKey(newName)) {
        byte[] encoded = NameBytes.encode(newName);
        dir.renameAt(dir.slotOf(present.name), dir.slotOf(encoded), encoded);
        model.remove(name);
        model.put(newName, present);
      } else if (present != null && choice == 2) {
        dir.unlinkAt(dir.slotOf(present.name));
        assertThat(present.parent).isNull();
        model.remove(name);
      } else if (present == null) {
        Inode entry = random.nextBoolean() ? file(name) : directory(name);
        if (random.nextBoolean()) {
          dir.link(entry);
        } else {
          dir.linkAt(dir.slotOf(entry.name), entry);
        }
        model.put(name, entry);
      }
      if (step % 500 == 0) {
        assertThat(dir.children()).containsExactlyElementsOf(model.values());
      }
      // The array is never three quarters empty, and an empty directory holds none.
      assertThat(dir.capacity()).isGreaterThanOrEqualTo(dir.childCount());
      if (dir.isEmpty()) {
        assertThat(dir.capacity()).isZero();
      } else {
        assertThat(dir.childCount()).isGreaterThan(dir.capacity() / 4);
      }
    }
    assertThat(dir.children()).containsExactlyElementsOf(model.values());
    for (Map.Entry<String, Inode> entry : model.entrySet()) {
      assertThat(dir.child(entry.getKey())).isSameAs(entry.getValue());
    }
  }

  private static String randomName(Random random, String[] pieces) {
    StringBuilder name = new StringBuilder();
    int length = 1 + random.nextInt(3);
    for (int c = 0; c < length; c++) {
      name.append(pieces[random.nextInt(pieces.length)]);
    }
    return name.toString();
  }
}
