package dev.cairn.client;

import java.io.InputStream;

/** A stream over one version of a file. */
public abstract class CairnInputStream extends InputStream {
  /** The status of the version this stream reads. */
  public abstract FileStatus status();
}
