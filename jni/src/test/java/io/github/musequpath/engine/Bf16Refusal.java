package io.github.musequpath.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Where bfloat16 cannot run (a CPU without native bfloat16, or oneDNN capped by
 * DNNL_MAX_CPU_ISA=AVX2 in CI's isa_capped run) asking for it must be refused clearly; the tests of
 * each bfloat16 path check that refusal there and the arithmetic elsewhere.
 */
final class Bf16Refusal {
    private Bf16Refusal() {}

    /**
     * Runs `validate` (options asking for BF16): false if it passes (bfloat16 runs here); true if
     * it is refused, after checking the refusal is an INVALID_ARGUMENT naming native bfloat16.
     */
    static boolean refusedHere(Runnable validate) {
        try {
            validate.run();
            return false;
        } catch (MuseException e) {
            assertEquals(MuseException.Kind.INVALID_ARGUMENT, e.kind());
            assertTrue(e.getMessage().contains("native bfloat16"), e.getMessage());
            return true;
        }
    }
}
