package io.llmmetering.local;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Which of the launcher's ports are taken, and by which process: so a launcher that cannot start says so in one
 * line instead of a broker's BindException. The process is found on Linux through /proc (the listening socket's
 * inode, then the process holding it); elsewhere, or without permission, only the port is named.
 */
final class PortOwners {

    private PortOwners() {
    }

    /** Each taken port of {@code ports} (role by port) with a description of the process holding it. */
    static Map<Integer, String> taken(Map<Integer, String> ports) {
        Map<Integer, String> taken = new LinkedHashMap<>();
        ports.forEach((port, role) -> {
            if (!free(port)) {
                taken.put(port, role + " port " + port + " is in use" + owner(port).map(p -> " by " + p).orElse(""));
            }
        });
        return taken;
    }

    private static boolean free(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress("127.0.0.1", port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static Optional<String> owner(int port) {
        try {
            Optional<String> inode = listeningInode(port);
            if (inode.isEmpty()) {
                return Optional.empty();
            }
            String socket = "socket:[" + inode.get() + "]";
            try (Stream<Path> processes = Files.list(Path.of("/proc"))) {
                for (Path process : (Iterable<Path>) processes.filter(p -> p.getFileName().toString().matches("\\d+"))::iterator) {
                    if (holds(process, socket)) {
                        String command = Files.readString(process.resolve("cmdline")).replace('\0', ' ').strip();
                        return Optional.of("process " + process.getFileName() + " (" + shorten(command) + ")");
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or not allowed to look: the port alone is said
        }
        return Optional.empty();
    }

    private static Optional<String> listeningInode(int port) throws IOException {
        String hexPort = String.format(":%04X", port);
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            Path path = Path.of(table);
            if (!Files.isReadable(path)) {
                continue;
            }
            for (String line : Files.readAllLines(path)) {
                String[] fields = line.trim().split("\\s+");
                // local_address is field 1, state 3 (0A = LISTEN), inode 9
                if (fields.length > 9 && fields[1].endsWith(hexPort) && fields[3].equals("0A")) {
                    return Optional.of(fields[9]);
                }
            }
        }
        return Optional.empty();
    }

    private static boolean holds(Path process, String socket) {
        try (Stream<Path> descriptors = Files.list(process.resolve("fd"))) {
            return descriptors.anyMatch(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString().equals(socket);
                } catch (IOException e) {
                    return false;
                }
            });
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static String shorten(String command) {
        return command.length() <= 120 ? command : command.substring(0, 117) + "...";
    }
}
