package dev.caption.nn;

import java.util.Locale;

import ai.djl.Device;
import ai.djl.engine.Engine;

/** Device names as users write them: "cpu", "cuda", "cuda:1" (also "gpu", "gpu:1"). */
public final class Devices {

    private Devices() {
    }

    public static Device parse(String name) {
        String n = name == null ? "cpu" : name.trim().toLowerCase(Locale.ROOT);
        if (n.equals("cpu")) {
            return Device.cpu();
        }
        if (n.startsWith("cuda") || n.startsWith("gpu")) {
            int colon = n.indexOf(':');
            int index;
            try {
                index = colon < 0 ? 0 : Integer.parseInt(n.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("device '" + name + "': expected cpu, cuda or cuda:N");
            }
            int gpus = Engine.getInstance().getGpuCount();
            if (index >= gpus) {
                throw new IllegalArgumentException("device '" + name + "' asked for, but the PyTorch engine sees "
                        + gpus + " GPU" + (gpus == 1 ? "" : "s") + (gpus == 0
                        ? " (a CPU build of libtorch is on the classpath, or no CUDA driver is present; see the README's GPU build)"
                        : ""));
            }
            return Device.gpu(index);
        }
        throw new IllegalArgumentException("device '" + name + "': expected cpu, cuda or cuda:N");
    }
}
