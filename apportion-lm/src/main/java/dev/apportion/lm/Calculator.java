package dev.apportion.lm;

/**
 * The calculator tool: integer expressions over {@code + - *} with the usual precedence
 * (no parentheses, no unary minus). Throws {@link IllegalArgumentException} on anything else
 * or on overflow.
 */
public final class Calculator {
    private Calculator() {}

    /** Value of {@code expr}. */
    public static long eval(String expr) {
        try {
            return evalExact(expr);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("overflow in '" + expr + "'", e);
        }
    }

    private static long evalExact(String expr) {
        if (expr.isEmpty() || expr.length() > 30) throw new IllegalArgumentException("bad expression '" + expr + "'");
        long sum = 0, term = 1;
        int sign = 1;
        int k = 0, n = expr.length();
        while (true) {
            if (k >= n || !Character.isDigit(expr.charAt(k)))
                throw new IllegalArgumentException("bad expression '" + expr + "'");
            long num = 0;
            while (k < n && Character.isDigit(expr.charAt(k))) {
                num = Math.addExact(Math.multiplyExact(num, 10), expr.charAt(k) - '0');
                k++;
            }
            term = Math.multiplyExact(term, num);
            if (k == n) return Math.addExact(sum, sign * term);
            char op = expr.charAt(k++);
            if (op == '*') continue;
            if (op != '+' && op != '-') throw new IllegalArgumentException("bad expression '" + expr + "'");
            sum = Math.addExact(sum, sign * term);
            term = 1;
            sign = op == '+' ? 1 : -1;
        }
    }
}
