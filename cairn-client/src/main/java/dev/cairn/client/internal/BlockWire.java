package dev.cairn.client.internal;

import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The block data protocol: block contents travel on plain TCP connections to a node's data port
 * (its client port + 2), not through gRPC, whose HTTP/2 framing, message parsing and thread
 * hand-offs cost several times the CPU of the bytes themselves.
 *
 * <p>A connection carries one operation, except a {@link #META} one, which carries namespace
 * calls, many at a time (see {@link MetaWire}). It opens with {@link #MAGIC} and an operation
 * byte, then
 * a protobuf message (an int length, then the bytes) that names the block. Block contents follow
 * as chunk frames: an int length, an int CRC32C of the data, the data. A frame of length
 * {@link #END} closes the chunks; a frame of length {@link #FAILED} says the sender hit an error,
 * and is followed by a protobuf message that says which.
 *
 * <ul>
 *   <li>{@link #WRITE}: the client sends a {@code WriteBlockHeader} and the chunks; the node
 *       answers with one {@code WriteBlockResponse} once the block is durable, or as soon as it
 *       fails.
 *   <li>{@link #READ}: the client sends a {@code ReadBlockRequest}; the node answers with a
 *       {@code ReadBlockResponse} that carries only a status, then, if that is OK, the chunks
 *       from the offset asked for, in spans: an int count of chunks (1..{@link #MAX_SPAN}), each
 *       chunk's length and CRC32C (two ints), then the data of all of them back to back. The node
 *       sends block files as they lie on disk (sendfile), so it is the reader that checks the
 *       data against the CRCs, which are the ones stored when the block was written.
 *   <li>{@link #VERIFY}: the client sends a {@code ReadBlockRequest} for a block whose data did
 *       not match its CRC; the node checks its whole replica, quarantines it if it is damaged,
 *       and answers one {@code ReadBlockResponse}: CORRUPT if so, OK if the replica is sound.
 *   <li>{@link #META}: namespace calls and their answers, framed as {@link MetaWire} says, until
 *       either side closes the connection.
 * </ul>
 */
public final class BlockWire {
  public static final int MAGIC = 0xCA1BDA7A;
  public static final byte WRITE = 1;
  public static final byte READ = 2;
  public static final byte VERIFY = 3;
  public static final byte META = 4;
  public static final int END = 0;
  public static final int FAILED = -1;
  /** Bytes per checksummed chunk; must match the servers' block store. */
  public static final int CHUNK_SIZE = 64 * 1024;
  /** Most chunks in one span of a read: 1 MiB of data per header and per sendfile. */
  public static final int MAX_SPAN = 16;
  public static final int CONNECT_TIMEOUT_MS = 5_000;
  /** The receive buffer a read connection asks for, where the kernel allows it. */
  public static final int READ_BUFFER_BYTES = 4 << 20;
  private static final int READ_RECEIVE_BUFFER = readReceiveBuffer(rmemMax());

  private static final int MAX_MESSAGE_BYTES = 1 << 20;
  // Sockets have no write timeout: a write to a peer that stopped reading blocks until the
  // socket is closed, which this timer does when an operation's deadline passes.
  private static final ScheduledExecutorService DEADLINES = deadlineTimer();

  private static ScheduledExecutorService deadlineTimer() {
    ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "cairn-block-deadlines");
      t.setDaemon(true);
      return t;
    });
    timer.setRemoveOnCancelPolicy(true);
    return timer;
  }

  private BlockWire() {}

  /**
   * The receive buffer to ask for on a read connection, given the kernel's ceiling ({@code
   * net.core.rmem_max}, or -1 if unknown): {@link #READ_BUFFER_BYTES} if it fits, else 0 to leave
   * the size to the kernel. Reading a 1 GiB file from 3 local nodes, with clients taking turns,
   * the first read of a fresh client ran at 1.25-2.2 GB/s with 4 MiB against 1.0-1.5 GB/s with
   * the kernel's auto-tuned buffer, and later reads at 1.7-2.9 against 1.4-2.0. A size the kernel
   * cuts down could do worse than none: asking for any size turns auto-tuning off for the socket.
   */
  public static int readReceiveBuffer(long rmemMax) {
    return rmemMax >= READ_BUFFER_BYTES ? READ_BUFFER_BYTES : 0;
  }

  /** Linux's net.core.rmem_max, or -1 where it cannot be read (other systems). */
  public static long rmemMax() {
    // Line by line: Files.readString was seen to return only the first byte of a /proc file.
    try (BufferedReader in = Files.newBufferedReader(Path.of("/proc/sys/net/core/rmem_max"))) {
      return Long.parseLong(in.readLine().trim());
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** The data address that goes with a node's client address: the same host, port + 2. */
  public static String dataAddress(String clientAddress) {
    int colon = clientAddress.lastIndexOf(':');
    if (colon <= 0) {
      throw new IllegalArgumentException("'" + clientAddress + "' is not HOST:PORT");
    }
    int port = Integer.parseInt(clientAddress.substring(colon + 1));
    return clientAddress.substring(0, colon) + ":" + (port + 2);
  }

  /** The socket address of the data port of the node at {@code clientAddress}. */
  public static InetSocketAddress dataSocketAddress(String clientAddress) {
    String data = dataAddress(clientAddress);
    int colon = data.lastIndexOf(':');
    return new InetSocketAddress(data.substring(0, colon),
        Integer.parseInt(data.substring(colon + 1)));
  }

  public static void writeMessage(DataOutputStream out, MessageLite message) throws IOException {
    byte[] bytes = message.toByteArray();
    out.writeInt(bytes.length);
    out.write(bytes);
  }

  public static <T> T readMessage(DataInputStream in, Parser<T> parser) throws IOException {
    return readMessage(in, parser, MAX_MESSAGE_BYTES);
  }

  /** Reads a message of at most {@code maxBytes}. */
  public static <T> T readMessage(DataInputStream in, Parser<T> parser, int maxBytes)
      throws IOException {
    return parser.parseFrom(readMessageBytes(in, maxBytes));
  }

  /** Reads the bytes of a message of at most {@code maxBytes}, for the caller to parse. */
  public static byte[] readMessageBytes(DataInputStream in, int maxBytes) throws IOException {
    int length = in.readInt();
    if (length < 0 || length > maxBytes) {
      throw new IOException("message of " + length + " bytes; the protocol allows 0.."
          + maxBytes);
    }
    byte[] bytes = new byte[length];
    in.readFully(bytes);
    return bytes;
  }

  public static void writeChunk(DataOutputStream out, byte[] data, int offset, int length,
      int crc32c) throws IOException {
    out.writeInt(length);
    out.writeInt(crc32c);
    out.write(data, offset, length);
  }

  /**
   * Reads a chunk frame's length: 1..{@link #CHUNK_SIZE} for data (then call {@link
   * #readChunkData}), {@link #END} or {@link #FAILED}.
   */
  public static int readChunkLength(DataInputStream in) throws IOException {
    int length = in.readInt();
    if (length > CHUNK_SIZE || length < FAILED) {
      throw new IOException("chunk frame of " + length + " bytes; chunks are 1.." + CHUNK_SIZE);
    }
    return length;
  }

  /**
   * Reads the header of a read span: its chunk count, then each chunk's length and CRC into
   * {@code lengths} and {@code crcs} (at least {@link #MAX_SPAN} long). Returns the count, or
   * {@link #END} or {@link #FAILED}.
   */
  public static int readSpanHeader(DataInputStream in, int[] lengths, int[] crcs)
      throws IOException {
    int count = in.readInt();
    if (count > MAX_SPAN || count < FAILED) {
      throw new IOException("span of " + count + " chunks; spans are 1.." + MAX_SPAN);
    }
    for (int i = 0; i < count; i++) {
      lengths[i] = in.readInt();
      crcs[i] = in.readInt();
      if (lengths[i] < 1 || lengths[i] > CHUNK_SIZE) {
        throw new IOException("chunk of " + lengths[i] + " bytes; chunks are 1.." + CHUNK_SIZE);
      }
    }
    return count;
  }

  /** Reads the CRC32C and data of a chunk frame whose length was read; returns the CRC. */
  public static int readChunkData(DataInputStream in, byte[] into, int length) throws IOException {
    int crc = in.readInt();
    in.readFully(into, 0, length);
    return crc;
  }

  /**
   * One open connection to a node's data port, with buffered streams. Closing it (from any
   * thread) ends any blocked read or write on it with an IOException.
   */
  public static final class Connection implements Closeable {
    public final Socket socket;
    public final DataInputStream in;
    public final DataOutputStream out;

    public Connection(Socket socket) throws IOException {
      this(socket, socket.getInputStream());
    }

    /** A connection that reads from {@code input}, a stream over the socket's own. */
    public Connection(Socket socket, InputStream input) throws IOException {
      this(socket, input, socket.getOutputStream());
    }

    /**
     * A connection that reads from {@code input} and writes to {@code output}, streams over the
     * socket's own.
     */
    public Connection(Socket socket, InputStream input, OutputStream output) throws IOException {
      this.socket = socket;
      socket.setTcpNoDelay(true);
      // A small input buffer: it holds the frame headers, while reads of chunk data, larger than
      // it, go from the socket straight into the caller's array instead of through it.
      this.in = new DataInputStream(new BufferedInputStream(input, 8192));
      this.out =
          new DataOutputStream(new BufferedOutputStream(output, CHUNK_SIZE));
    }

    /** Connects to the data port of the node at {@code clientAddress} and opens an operation. */
    public static Connection open(String clientAddress, byte operation, int readTimeoutMs)
        throws IOException {
      Socket socket = new Socket();
      try {
        if (operation == READ && READ_RECEIVE_BUFFER > 0) {
          // Before connecting: the window scale is agreed in the handshake.
          socket.setReceiveBufferSize(READ_RECEIVE_BUFFER);
        }
        socket.connect(dataSocketAddress(clientAddress), CONNECT_TIMEOUT_MS);
        socket.setSoTimeout(readTimeoutMs);
        Connection c = new Connection(socket);
        c.out.writeInt(MAGIC);
        c.out.writeByte(operation);
        return c;
      } catch (IOException | RuntimeException e) {
        socket.close();
        throw e;
      }
    }

    /** Closes this connection after {@code ms}, unless the returned deadline is cancelled. */
    public ScheduledFuture<?> deadline(long ms) {
      return DEADLINES.schedule(this::close, ms, TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
      try {
        socket.close();
      } catch (IOException e) {
        // Nothing more can go wrong with a socket that is gone.
      }
    }
  }
}
