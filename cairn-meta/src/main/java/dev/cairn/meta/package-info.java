/**
 * The namespace state machine: directories, files, the blocks they reference, the blocks they
 * freed, the node table and the exactly-once table, as plain Java with no Raft on the classpath.
 *
 * <p>{@link dev.cairn.meta.Namespace} is the contract the Raft adapter drives; {@link
 * dev.cairn.meta.MemoryNamespace} is its implementation; {@link dev.cairn.meta.PathNames} holds the
 * path rules that servers and clients may check early. Everything else is package-private.
 */
package dev.cairn.meta;
