package dev.cairn.bench;

import java.util.List;

/**
 * The sizes of one benchmark run.
 *
 * @param rounds rounds of A B (Cairn, then HDFS)
 * @param largeMib size of the large file
 * @param files number of small files
 * @param threads client thread counts of the small-file writes
 * @param opThreads client threads of reads, stat, rename and delete
 * @param heapFiles files created for the heap measurement
 * @param warmUpFiles small files of each phase of a pass of the unmeasured warm-up before each
 *     round's workloads; 0 for none
 * @param warmUpSeconds how long the warm-up may run: no pass starts after that, settled or not
 */
record Plan(boolean quick, int rounds, long largeMib, int files, List<Integer> threads,
    int opThreads, int statPasses, int listings, int heapFiles, int ddMib, int syncWrites,
    int warmUpFiles, int warmUpSeconds) {

  static Plan fullRun() {
    return new Plan(false, 3, 1024, 5000, List.of(1, 8, 32), 8, 4, 10, 1_000_000, 1024, 2000,
        1000, 150);
  }

  static Plan quickRun() {
    return new Plan(true, 2, 256, 1000, List.of(1, 8, 32), 8, 4, 10, 200_000, 256, 500, 200,
        40);
  }

  Plan withRounds(int n) {
    return new Plan(quick, n, largeMib, files, threads, opThreads, statPasses, listings,
        heapFiles, ddMib, syncWrites, warmUpFiles, warmUpSeconds);
  }

  Plan withHeapFiles(int n) {
    return new Plan(quick, rounds, largeMib, files, threads, opThreads, statPasses, listings, n,
        ddMib, syncWrites, warmUpFiles, warmUpSeconds);
  }

  Plan withWarmUpFiles(int n) {
    return new Plan(quick, rounds, largeMib, files, threads, opThreads, statPasses, listings,
        heapFiles, ddMib, syncWrites, n, warmUpSeconds);
  }

  Plan withWarmUpSeconds(int s) {
    return new Plan(quick, rounds, largeMib, files, threads, opThreads, statPasses, listings,
        heapFiles, ddMib, syncWrites, warmUpFiles, s);
  }
}
