package dev.cairn.testing;

import java.util.Optional;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * The seed of a randomized test. A test declares a {@code TestSeed} parameter and runs under
 * {@code @ExtendWith(TestSeed.Extension.class)}; the seed is random unless {@code -Dcairn.seed=N}
 * fixes it, and it is printed when the test starts and again, with the rerun command, when the
 * test fails.
 */
record TestSeed(long value) {

  static final class Extension implements ParameterResolver, TestWatcher {
    private static final ExtensionContext.Namespace NAMESPACE =
        ExtensionContext.Namespace.create(TestSeed.class);

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
      return parameter.getParameter().getType() == TestSeed.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
      return context.getStore(NAMESPACE).getOrComputeIfAbsent("seed", key -> {
        String fixed = System.getProperty("cairn.seed");
        long seed = fixed != null ? Long.parseLong(fixed) : System.nanoTime() ^ 0x5DEECE66DL;
        System.out.println(context.getDisplayName() + " runs with seed " + seed);
        return new TestSeed(seed);
      }, TestSeed.class);
    }

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
      TestSeed seed = context.getStore(NAMESPACE).get("seed", TestSeed.class);
      if (seed != null) {
        String message = context.getRequiredTestClass().getSimpleName() + "." + context.getDisplayName()
            + " FAILED with seed " + seed.value() + "; rerun with -Dcairn.seed=" + seed.value();
        System.out.println(message);
        System.err.println(message);
      }
    }

    @Override
    public void testDisabled(ExtensionContext context, Optional<String> reason) {}
  }
}
