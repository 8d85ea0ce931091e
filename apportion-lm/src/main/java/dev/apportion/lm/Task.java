package dev.apportion.lm;

import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * A task with a verifier. An episode is {@code <bos> prompt} followed by policy turns; a turn ends
 * with {@code <eos>} (the final answer) or, in tool tasks, with {@code ]} (a tool call
 * {@code [expression]}), after which the environment appends the observation as context tokens.
 */
public interface Task {
    /** One problem: the prompt, the expected answer, and a demonstration for the supervised warm-up. */
    record Problem(String prompt, String answer, List<String> demonstration) {
        /**
         * @param demonstration alternating policy turns and observations: turn, observation,
         *     turn, …, ending with the final turn (without {@code <eos>}); tool calls include
         *     their brackets
         */
        public Problem {
            demonstration = List.copyOf(demonstration);
        }
    }

    /** Registry name (addition, reversal, countdown, tool). */
    String name();

    /** Draws a problem. */
    Problem sample(SplittableRandom r);

    /** True when the policy may call the calculator tool. */
    default boolean tools() {
        return false;
    }

    /** The observation appended after tool call text {@code call} (without brackets). */
    default String observe(String call) {
        throw new UnsupportedOperationException(name() + " has no tool");
    }

    /** Tool calls allowed per episode. */
    default int maxToolCalls() {
        return 0;
    }

    /** Verifier: reward of final answer text {@code answer} (without {@code <eos>}). */
    default double score(Problem p, String answer) {
        return p.answer().equals(answer) ? 1.0 : 0.0;
    }

    /** A task by name with a difficulty knob (digits, length or numbers; ≤ 0 for the default). */
    static Task named(String name, int difficulty) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "addition" -> new Addition(difficulty > 0 ? difficulty : 2);
            case "reversal" -> new Reversal(difficulty > 0 ? difficulty : 5);
            case "countdown" -> new Countdown(difficulty > 0 ? difficulty : 3);
            case "tool" -> new ToolCalc(difficulty > 0 ? difficulty : 2);
            default ->
                throw new IllegalArgumentException("unknown task '" + name + "' (addition, reversal, countdown, tool)");
        };
    }

    /** Multi-digit addition {@code a+b=} with a and b of up to {@code digits} digits. */
    record Addition(int digits) implements Task {
        public String name() {
            return "addition";
        }

        public Problem sample(SplittableRandom r) {
            long bound = (long) Math.pow(10, digits);
            long a = r.nextLong(bound), b = r.nextLong(bound);
            String ans = Long.toString(a + b);
            return new Problem(a + "+" + b + "=", ans, List.of(ans));
        }
    }

    /** Reversal of a random lower-case string of {@code length} letters: {@code r:abc=} → {@code cba}. */
    record Reversal(int length) implements Task {
        public String name() {
            return "reversal";
        }

        public Problem sample(SplittableRandom r) {
            char[] s = new char[length];
            for (int k = 0; k < length; k++) s[k] = (char) ('a' + r.nextInt(8));
            String in = new String(s);
            String ans = new StringBuilder(in).reverse().toString();
            return new Problem("r:" + in + "=", ans, List.of(ans));
        }
    }

    /**
     * Countdown: reach the target with + − * over the given numbers, each used at most once
     * (precedence as usual): {@code c:3,5,7>22=} → e.g. {@code 3*5+7}. Knob: how many numbers
     * (values 1–9). Any expression that verifies is accepted, not only the demonstrated one.
     */
    record Countdown(int numbers) implements Task {
        public String name() {
            return "countdown";
        }

        public Problem sample(SplittableRandom r) {
            while (true) {
                int[] n = new int[numbers];
                for (int k = 0; k < numbers; k++) n[k] = 1 + r.nextInt(9);
                int[] perm = n.clone();
                for (int k = perm.length - 1; k > 0; k--) {
                    int j = r.nextInt(k + 1);
                    int t = perm[k];
                    perm[k] = perm[j];
                    perm[j] = t;
                }
                StringBuilder e = new StringBuilder().append(perm[0]);
                for (int k = 1; k < perm.length; k++)
                    e.append("+-*".charAt(r.nextInt(3))).append(perm[k]);
                long target = Calculator.eval(e.toString());
                if (target <= 0) continue;
                StringBuilder prompt = new StringBuilder("c:");
                for (int k = 0; k < n.length; k++)
                    prompt.append(k == 0 ? "" : ",").append(n[k]);
                prompt.append('>').append(target).append('=');
                return new Problem(prompt.toString(), Long.toString(target), List.of(e.toString()));
            }
        }

        @Override
        public double score(Problem p, String answer) {
            String body = p.prompt().substring(2, p.prompt().indexOf('>'));
            int[] avail = new int[10];
            for (String s : body.split(",")) avail[Integer.parseInt(s)]++;
            if (answer.isEmpty() || answer.length() > 4 * numbers) return 0.0;
            for (int k = 0; k < answer.length(); k++) {
                char ch = answer.charAt(k);
                if (ch >= '0' && ch <= '9') {
                    if (k + 1 < answer.length() && Character.isDigit(answer.charAt(k + 1)))
                        return 0.0; // single digits only
                    if (--avail[ch - '0'] < 0) return 0.0;
                } else if ("+-*".indexOf(ch) < 0) {
                    return 0.0;
                }
            }
            try {
                return Calculator.eval(answer) == Long.parseLong(p.answer()) ? 1.0 : 0.0;
            } catch (IllegalArgumentException e) {
                return 0.0;
            }
        }
    }

    /**
     * Multi-turn tool task: {@code t:a*b+c=} with a, b of {@code digits} digits and c one digit.
     * The policy may call the calculator ({@code [expression]}); the observation
     * {@code value;} (or {@code err;}) enters as context tokens; then it answers. The warm-up
     * demonstrates two strategies: calling the whole expression and copying the value (a
     * quarter of demonstrations), or calling {@code a*b} and adding c itself — so the first
     * turn's choice matters for the outcome, which is what turn-level credit should see.
     */
    record ToolCalc(int digits) implements Task {
        public String name() {
            return "tool";
        }

        public Problem sample(SplittableRandom r) {
            long lo = (long) Math.pow(10, digits - 1), hi = lo * 10;
            long a = lo + r.nextLong(hi - lo), b = lo + r.nextLong(hi - lo), c = r.nextLong(10);
            String full = a + "*" + b + "+" + c;
            String ans = Long.toString(a * b + c);
            List<String> demo = r.nextInt(4) == 0
                    ? List.of("[" + full + "]", observe(full), ans)
                    : List.of("[" + a + "*" + b + "]", observe(a + "*" + b), ans);
            return new Problem("t:" + full + "=", ans, demo);
        }

        @Override
        public boolean tools() {
            return true;
        }

        @Override
        public int maxToolCalls() {
            return 2;
        }

        @Override
        public String observe(String call) {
            try {
                return Calculator.eval(call) + ";";
            } catch (IllegalArgumentException e) {
                return "err;";
            }
        }
    }
}
