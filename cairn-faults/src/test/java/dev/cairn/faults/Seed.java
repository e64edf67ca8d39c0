package dev.cairn.faults;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * The seed of a randomized fault test. A test declares a {@code Seed} parameter and runs under
 * {@code @ExtendWith(Seed.Extension.class)}; the seed is random unless {@code -Dcairn.seed=N}
 * fixes it, and it is printed when the test starts and again, with the command that reruns it,
 * when the test fails.
 */
record Seed(long value) {

  static final class Extension implements ParameterResolver, TestWatcher {
    private static final ExtensionContext.Namespace NAMESPACE =
        ExtensionContext.Namespace.create(Seed.class);

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
      return parameter.getParameter().getType() == Seed.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
      return context.getStore(NAMESPACE).getOrComputeIfAbsent("seed", key -> {
        String fixed = System.getProperty("cairn.seed");
        long seed = fixed != null ? Long.parseLong(fixed) : System.nanoTime() ^ 0x5DEECE66DL;
        System.out.println(context.getRequiredTestClass().getSimpleName() + "."
            + context.getDisplayName() + " runs with seed " + seed);
        return new Seed(seed);
      }, Seed.class);
    }

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
      Seed seed = context.getStore(NAMESPACE).get("seed", Seed.class);
      if (seed != null) {
        String test = context.getRequiredTestClass().getSimpleName();
        String message = test + "." + context.getDisplayName() + " FAILED with seed "
            + seed.value() + "; rerun: mvn -o -B -pl cairn-faults test -Dtest=" + test
            + " -Dcairn.seed=" + seed.value();
        System.out.println(message);
        System.err.println(message);
      }
    }
  }
}
