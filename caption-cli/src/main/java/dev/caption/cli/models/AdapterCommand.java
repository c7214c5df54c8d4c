package dev.caption.cli.models;

import picocli.CommandLine.Command;

/** {@code caption adapter <import|info>}: adapters from other tools, and what an adapter directory holds. */
@Command(name = "adapter", mixinStandardHelpOptions = true,
        header = "Import an adapter trained elsewhere (PyTorch), or show what an adapter directory holds.",
        description = {"Import an adapter trained elsewhere (PyTorch), or show what an adapter directory holds.",
            "python/caption_adapters.py has the PyTorch module of every strategy, with the same keys and shapes."},
        subcommands = {AdapterImportCommand.class, AdapterInfoCommand.class})
public final class AdapterCommand {
}
