package dev.caption.nn.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicIntegerArray;

import org.junit.jupiter.api.Test;

class KernelThreadsTest {

    @Test
    void everyTaskRunsExactlyOnceCallAfterCall() {
        try (KernelThreads threads = new KernelThreads(3)) {
            for (int call = 0; call < 2_000; call++) {
                int tasks = 1 + call % 37;
                AtomicIntegerArray runs = new AtomicIntegerArray(tasks);
                threads.run(tasks, runs::incrementAndGet);
                for (int i = 0; i < tasks; i++) {
                    assertEquals(1, runs.get(i), "task " + i + " of call " + call);
                }
            }
        }
    }

    @Test
    void aCallerThatOutwaitsItsSpinIsWokenByTheWorkerFinishingTheLastTask() {
        // tasks that sleep keep the caller waiting far past its spin: it parks, and must be woken to return
        try (KernelThreads threads = new KernelThreads(2)) {
            assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
                for (int call = 0; call < 50; call++) {
                    AtomicIntegerArray runs = new AtomicIntegerArray(2);
                    threads.run(2, i -> {
                        sleep(i == 1 ? 3 : 0);
                        runs.incrementAndGet(i);
                    });
                    assertEquals(1, runs.get(0));
                    assertEquals(1, runs.get(1));
                }
            });
        }
    }

    @Test
    void aTasksFailureIsRethrownToTheCallerAfterTheOthersFinish() {
        try (KernelThreads threads = new KernelThreads(2)) {
            AtomicIntegerArray runs = new AtomicIntegerArray(8);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> threads.run(8, i -> {
                runs.incrementAndGet(i);
                if (i == 5) {
                    throw new IllegalStateException("task 5 failed");
                }
            }));
            assertEquals("task 5 failed", e.getMessage());
            for (int i = 0; i < 8; i++) {
                assertEquals(1, runs.get(i));
            }
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
