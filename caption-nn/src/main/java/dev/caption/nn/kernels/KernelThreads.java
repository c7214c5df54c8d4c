package dev.caption.nn.kernels;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * The threads the CPU kernels split their work over: the caller and {@code threads - 1} workers. A call hands out
 * task indices from one counter, so a thread that the OS holds back (other processes share the cores) simply takes
 * fewer tasks. Between calls a worker spins for a short while, since a decode step makes a call every few hundred
 * microseconds and waking a parked thread costs tens of them, then parks so that an idle model costs no CPU.
 *
 * <p>The caller, once the tasks are all handed out, spins for the workers' last ones only briefly and then parks
 * until the one finishing the last task wakes it. A worker that the OS took off its core mid-task (another process
 * wanted it) otherwise left the caller spinning on the only core it could run on: parking hands it that core.
 */
public final class KernelThreads implements AutoCloseable {

    /** How long a worker waits for the next call before parking. */
    private static final long SPIN_NANOS = Long.getLong("caption.kernel.spin", 200_000);
    /** How long the caller waits for the workers' last tasks before parking. */
    private static final long CALLER_SPIN_NANOS = Long.getLong("caption.kernel.caller-spin", 50_000);

    private final Worker[] workers;
    private final AtomicReference<Job> current = new AtomicReference<>();
    private volatile boolean closed;
    private float[] input = new float[0];

    /** {@code threads} threads in all, the caller included (at least 1). */
    public KernelThreads(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("kernel threads must be at least 1, not " + threads);
        }
        workers = new Worker[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker("caption-kernel-" + (i + 1));
            workers[i].thread.start();
        }
    }

    /**
     * An array of at least {@code floats} floats for a kernel's input, the same one call after call (it grows when
     * a call needs more). For the holder of this object's lock only, until it releases it.
     */
    public float[] inputArray(int floats) {
        if (!Thread.holdsLock(this)) {
            throw new IllegalStateException("the kernel threads' input array is for the holder of their lock");
        }
        if (input.length < floats) {
            input = new float[floats];
        }
        return input;
    }

    /** Threads taking part in a call, the caller included. */
    public int size() {
        return workers.length + 1;
    }

    /**
     * Runs {@code task} for every index in [0, tasks), each exactly once, on this thread and the workers, and
     * returns when all are done. The first exception a task throws is rethrown here (after the others finished).
     */
    public synchronized void run(int tasks, IntConsumer task) {
        if (closed) {
            throw new IllegalStateException("kernel threads are closed");
        }
        if (tasks <= 0) {
            return;
        }
        if (tasks == 1 || workers.length == 0) {
            for (int i = 0; i < tasks; i++) {
                task.accept(i);
            }
            return;
        }
        Job job = new Job(tasks, task, Thread.currentThread());
        current.set(job);
        for (Worker w : workers) {
            if (w.parked) {
                LockSupport.unpark(w.thread);
            }
        }
        job.work();
        long spinUntil = System.nanoTime() + CALLER_SPIN_NANOS;
        while (job.done.get() < tasks) {
            if (System.nanoTime() < spinUntil) {
                Thread.onSpinWait();
            } else {
                job.callerParked = true;
                // the worker that finishes the last task after this check sees callerParked and unparks us
                if (job.done.get() < tasks) {
                    LockSupport.park(this);
                }
                job.callerParked = false;
            }
        }
        current.set(null);
        Throwable failure = job.failure.get();
        if (failure instanceof RuntimeException e) {
            throw e;
        }
        if (failure instanceof Error e) {
            throw e;
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Worker w : workers) {
            LockSupport.unpark(w.thread);
        }
    }

    /** One call: its tasks, the next index to hand out, how many are finished, and whether its caller sleeps. */
    private static final class Job {
        final int tasks;
        final IntConsumer task;
        final Thread caller;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger done = new AtomicInteger();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        volatile boolean callerParked;

        Job(int tasks, IntConsumer task, Thread caller) {
            this.tasks = tasks;
            this.task = task;
            this.caller = caller;
        }

        void work() {
            for (int i = next.getAndIncrement(); i < tasks; i = next.getAndIncrement()) {
                try {
                    task.accept(i);
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    if (done.incrementAndGet() == tasks && callerParked) {
                        LockSupport.unpark(caller);
                    }
                }
            }
        }
    }

    private final class Worker implements Runnable {
        final Thread thread;
        volatile boolean parked;

        Worker(String name) {
            thread = new Thread(this, name);
            thread.setDaemon(true);
        }

        @Override
        public void run() {
            Job last = null;
            long idleSince = System.nanoTime();
            while (!closed) {
                Job job = current.get();
                if (job != null && job != last) {
                    last = job;
                    job.work();
                    idleSince = System.nanoTime();
                } else if (System.nanoTime() - idleSince < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    parked = true;
                    // a call published after this check unparks us; one published before it is seen here
                    Job again = current.get();
                    if ((again == null || again == last) && !closed) {
                        LockSupport.park(this);
                    }
                    parked = false;
                    idleSince = System.nanoTime();
                }
            }
        }
    }
}
