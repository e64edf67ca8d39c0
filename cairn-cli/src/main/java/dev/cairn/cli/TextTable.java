package dev.cairn.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * Rows of text printed in aligned columns, two spaces apart. Columns marked numeric are aligned to
 * the right so that sizes line up; the last column is never padded, so names can be long.
 */
final class TextTable {
  private final boolean[] rightAligned;
  private final List<String[]> rows = new ArrayList<>();

  /** @param rightAligned one flag per column */
  TextTable(boolean... rightAligned) {
    this.rightAligned = rightAligned.clone();
  }

  TextTable row(String... cells) {
    if (cells.length != rightAligned.length) {
      throw new IllegalArgumentException(
          "row has " + cells.length + " cells, table has " + rightAligned.length + " columns");
    }
    rows.add(cells.clone());
    return this;
  }

  boolean isEmpty() {
    return rows.isEmpty();
  }

  /** The table, one line per row, each ending in a newline. */
  String render() {
    int[] widths = new int[rightAligned.length];
    for (String[] row : rows) {
      for (int i = 0; i < row.length; i++) {
        widths[i] = Math.max(widths[i], row[i].length());
      }
    }
    StringBuilder out = new StringBuilder();
    for (String[] row : rows) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < row.length; i++) {
        if (i > 0) {
          line.append("  ");
        }
        String pad = " ".repeat(widths[i] - row[i].length());
        boolean last = i == row.length - 1;
        if (rightAligned[i]) {
          line.append(pad).append(row[i]);
        } else {
          line.append(row[i]).append(last ? "" : pad);
        }
      }
      out.append(line.toString().stripTrailing()).append('\n');
    }
    return out.toString();
  }
}
