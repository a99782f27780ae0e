package io.github.musequpath.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Finding the native library, and what the user reads when it is not there. */
class NativeLibraryTest {

    /** Run in a fresh JVM by the test below: tries to load and prints the error. */
    public static void main(String[] args) {
        try {
            NativeLibrary.load(args.length > 0 ? Path.of(args[0]) : null);
            System.out.println("loaded from " + NativeLibrary.loadedFrom());
        } catch (MuseException e) {
            System.out.println(e.kind() + ": " + e.getMessage());
            System.exit(3);
        }
    }

    @Test
    void theLibraryLoadsAndReportsItsVersion() {
        NativeLibrary.load();
        assertTrue(NativeLibrary.isLoaded());
        assertTrue(NativeLibrary.version().matches("\\d+\\.\\d+\\.\\d+"), NativeLibrary.version());
        assertTrue(NativeLibrary.setComputeThreads(2) >= 1);
    }

    @Test
    void aMissingLibraryIsAnErrorNamingEveryPlaceTried() throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElse("java");
        String classpath = System.getProperty("muse.test.classpath");
        if (classpath == null) classpath = System.getProperty("java.class.path");
        ProcessBuilder pb = new ProcessBuilder(List.of(java, "-Dmuse.native.library=/nonexistent/dir", "-Djava.library.path=/nonexistent/lib",
                "-cp", classpath, NativeLibraryTest.class.getName(), "/nonexistent/preferred/libmuse_jni.so"));
        pb.environment().remove(NativeLibrary.ENVIRONMENT);
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertNotEquals(0, p.waitFor(), out);
        assertEquals(3, p.exitValue(), out);
        assertTrue(out.startsWith("IO_ERROR"), out);
        assertTrue(out.contains("/nonexistent/preferred/libmuse_jni.so: no such file"), out);
        assertTrue(out.contains("/nonexistent/dir: no such file"), out);
        assertTrue(out.contains("environment variable MUSE_NATIVE_LIBRARY: not set"), out);
        assertTrue(out.contains("java.library.path (/nonexistent/lib)"), out);
        assertTrue(out.contains(NativeLibrary.PROPERTY), out);
    }
}
