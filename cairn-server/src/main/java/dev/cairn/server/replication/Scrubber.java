package dev.cairn.server.replication;

import dev.cairn.server.storage.BlockStore;
import dev.cairn.server.storage.BlockStore.BlockReader;
import dev.cairn.server.storage.BlockStore.StoredBlock;
import dev.cairn.server.storage.CorruptBlockException;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Re-reads every block this node holds, over and over, at a bounded rate, checking every chunk
 * against its CRC32C. A corrupt replica is quarantined: it drops out of the node's block report,
 * so the leader's repair loop drops it from the namespace and copies a good replica back.
 *
 * <p>Runs on its own thread until interrupted.
 */
public final class Scrubber implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(Scrubber.class);

  private final String selfId;
  private final BlockStore store;
  private final RateLimiter limiter;
  private final AtomicLong scrubbedBytes = new AtomicLong();
  private final AtomicLong corruptFound = new AtomicLong();
  private final AtomicLong passes = new AtomicLong();

  public Scrubber(String selfId, BlockStore store, long bytesPerSecond) {
    this.selfId = selfId;
    this.store = store;
    this.limiter = new RateLimiter(bytesPerSecond);
  }

  public long scrubbedBytes() {
    return scrubbedBytes.get();
  }

  public long corruptFound() {
    return corruptFound.get();
  }

  /**
   * Moves a corrupt replica aside and counts it: it drops out of the node's block report, and the
   * leader copies the block back from a good replica. Called by the scrubber itself and by the
   * block data server, whose reads and checks find damage too.
   *
   * @param foundBy what found the damage, for the log
   */
  public void quarantine(long id, String foundBy, CorruptBlockException e) {
    corruptFound.incrementAndGet();
    log.warn("{} on {} found a corrupt replica: {}", foundBy, selfId, e.getMessage());
    try {
      store.quarantine(id);
    } catch (IOException q) {
      log.error("cannot quarantine block {}", Long.toHexString(id), q);
    }
  }

  public long passes() {
    return passes.get();
  }

  @Override
  public void run() {
    byte[] buf = new byte[BlockStore.CHUNK_SIZE];
    try {
      while (!Thread.currentThread().isInterrupted()) {
        List<StoredBlock> blocks = store.list();
        for (StoredBlock block : blocks) {
          scrub(block.id(), buf);
        }
        passes.incrementAndGet();
        if (blocks.isEmpty()) {
          // Nothing to read: wait a little before looking again (no one waits on this).
          Thread.sleep(1000);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void scrub(long id, byte[] buf) throws InterruptedException {
    try (BlockReader reader = store.open(id)) {
      for (int i = 0; i < reader.chunkCount(); i++) {
        limiter.acquire(BlockStore.CHUNK_SIZE);
        scrubbedBytes.addAndGet(reader.readChunk(i, buf));
      }
    } catch (CorruptBlockException e) {
      quarantine(id, "the scrubber", e);
    } catch (NoSuchFileException e) {
      // Deleted since the listing: nothing to check.
    } catch (IOException e) {
      log.warn("scrubber on {} cannot read block {}: {}", selfId, Long.toHexString(id),
          e.toString());
    }
  }
}
