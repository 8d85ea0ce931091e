package dev.apportion.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * Turns every error into exactly one line on stderr and an exit code: bad usage and bad input
 * (an {@link IllegalArgumentException} such as io's {@code InputException} or core's
 * {@code RolloutException}, or an {@link IOException}) exit with {@link ExitCodes#BAD_INPUT};
 * anything else is a defect and exits with {@link ExitCodes#INTERNAL_ERROR}. The stack trace
 * follows only with {@code --verbose}.
 */
final class Errors implements IExecutionExceptionHandler, IParameterExceptionHandler {
    private final Main main;

    Errors(Main main) {
        this.main = main;
    }

    @Override
    public int handleParseException(ParameterException ex, String[] args) {
        CommandLine cl = ex.getCommandLine();
        PrintWriter err = cl.getErr();
        StringBuilder line = new StringBuilder("error: ").append(oneLine(ex.getMessage()));
        if (ex instanceof UnmatchedArgumentException) {
            List<String> suggestions = ((UnmatchedArgumentException) ex).getSuggestions();
            if (!suggestions.isEmpty())
                line.append("; did you mean ")
                        .append(String.join(" or ", suggestions))
                        .append('?');
        }
        line.append(" (see '").append(cl.getCommandSpec().qualifiedName()).append(" --help')");
        err.println(line);
        if (main.verbose()) ex.printStackTrace(err);
        err.flush();
        return ExitCodes.BAD_INPUT;
    }

    @Override
    public int handleExecutionException(Exception ex, CommandLine cl, ParseResult parseResult) {
        PrintWriter err = cl.getErr();
        int code = exitCode(ex);
        err.println("error: " + message(ex));
        if (main.verbose()) {
            ex.printStackTrace(err);
        } else if (code == ExitCodes.INTERNAL_ERROR) {
            err.println("(this is a defect in apportion; rerun with --verbose for the stack trace and report it)");
        }
        err.flush();
        return code;
    }

    /** The exit code for an exception thrown by a command. */
    static int exitCode(Throwable ex) {
        if (ex instanceof IllegalArgumentException || ex instanceof IOException || ex instanceof UncheckedIOException) {
            return ExitCodes.BAD_INPUT;
        }
        return ExitCodes.INTERNAL_ERROR;
    }

    /** One line describing {@code ex}, naming the file for the JDK's terse file-system exceptions. */
    static String message(Throwable ex) {
        Throwable t = ex instanceof UncheckedIOException && ex.getCause() != null ? ex.getCause() : ex;
        String msg;
        if (t instanceof NoSuchFileException) {
            msg = "no such file or directory: " + ((NoSuchFileException) t).getFile();
        } else if (t instanceof AccessDeniedException) {
            msg = "permission denied: " + ((AccessDeniedException) t).getFile();
        } else if (t instanceof NotDirectoryException) {
            msg = "not a directory: " + ((NotDirectoryException) t).getFile();
        } else if (t instanceof FileAlreadyExistsException) {
            msg = "file already exists: " + ((FileAlreadyExistsException) t).getFile();
        } else if (t instanceof FileSystemException) {
            FileSystemException f = (FileSystemException) t;
            msg = f.getFile() + ": "
                    + (f.getReason() != null ? f.getReason() : t.getClass().getSimpleName());
        } else if (t.getMessage() == null || t.getMessage().isBlank()) {
            msg = t.getClass().getName();
        } else if (exitCode(t) == ExitCodes.INTERNAL_ERROR) {
            msg = t.getClass().getName() + ": " + t.getMessage();
        } else {
            msg = t.getMessage();
        }
        return oneLine(msg);
    }

    /** Collapses line breaks so that a message stays on one line. */
    static String oneLine(String s) {
        if (s == null) return "";
        return s.strip().replaceAll("\\s*\\R\\s*", " ");
    }
}
