package dev.apportion.bench.mdp;

/**
 * A finite episodic MDP compiled from {@link Dynamics}: every reachable state numbered in
 * topological order (every transition goes to a higher index), with flat arrays for states,
 * state-action pairs ("sa", numbered {@code actionStart(s) + a}) and transitions. Immutable
 * and safe to share between threads; accessors return internal arrays, read-only.
 */
public final class Mdp {
    final int tokensPerTurn;
    final String[] actionNames;
    final int[] turn;
    final int[] token;
    final int[] feature;
    final String[] observation;
    final String[] agent;
    final int[] distractorBits;
    final double[] outcome;
    final boolean[] success;
    final int[] saStart;
    final int[] trStart;
    final double[] verifier;
    final boolean[] prmBiased;
    final int[] next;
    final double[] prob;
    final double[] rewardMean;
    final RewardNoise[] rewardNoise;
    final double[] rewardScale;
    final int[] startStates;
    final double[] startProbs;
    final String[] featureKeys;
    final boolean hasStepRewards;
    final boolean hasVerifier;
    final boolean hasAgents;
    final int maxActions;
    final int maxTurns;
    final int[] pairState;

    Mdp(
            int tokensPerTurn,
            String[] actionNames,
            int[] turn,
            int[] token,
            int[] feature,
            String[] observation,
            String[] agent,
            int[] distractorBits,
            double[] outcome,
            boolean[] success,
            int[] saStart,
            int[] trStart,
            double[] verifier,
            boolean[] prmBiased,
            int[] next,
            double[] prob,
            double[] rewardMean,
            RewardNoise[] rewardNoise,
            double[] rewardScale,
            int[] startStates,
            double[] startProbs,
            String[] featureKeys) {
        this.tokensPerTurn = tokensPerTurn;
        this.actionNames = actionNames;
        this.turn = turn;
        this.token = token;
        this.feature = feature;
        this.observation = observation;
        this.agent = agent;
        this.distractorBits = distractorBits;
        this.outcome = outcome;
        this.success = success;
        this.saStart = saStart;
        this.trStart = trStart;
        this.verifier = verifier;
        this.prmBiased = prmBiased;
        this.next = next;
        this.prob = prob;
        this.rewardMean = rewardMean;
        this.rewardNoise = rewardNoise;
        this.rewardScale = rewardScale;
        this.startStates = startStates;
        this.startProbs = startProbs;
        this.featureKeys = featureKeys;
        boolean steps = false;
        for (int i = 0; i < rewardMean.length; i++) {
            if (rewardMean[i] != 0 || rewardNoise[i] != RewardNoise.NONE) {
                steps = true;
                break;
            }
        }
        this.hasStepRewards = steps;
        boolean ver = false;
        for (double v : verifier) {
            if (!Double.isNaN(v)) {
                ver = true;
                break;
            }
        }
        this.hasVerifier = ver;
        boolean ag = false;
        for (String a : agent) {
            if (a != null) {
                ag = true;
                break;
            }
        }
        this.hasAgents = ag;
        int ma = 0;
        int mt = 0;
        for (int s = 0; s < turn.length; s++) {
            ma = Math.max(ma, saStart[s + 1] - saStart[s]);
            mt = Math.max(mt, turn[s]);
        }
        this.maxActions = ma;
        this.maxTurns = mt;
        this.pairState = new int[trStart.length - 1];
        for (int s = 0; s < turn.length; s++) {
            for (int sa = saStart[s]; sa < saStart[s + 1]; sa++) pairState[sa] = s;
        }
    }

    /** The state of pair {@code sa}. */
    public int pairState(int sa) {
        return pairState[sa];
    }

    /** The action of pair {@code sa}. */
    public int pairAction(int sa) {
        return sa - saStart[pairState[sa]];
    }

    public int stateCount() {
        return turn.length;
    }

    public int pairCount() {
        return trStart.length - 1;
    }

    public int featureCount() {
        return featureKeys.length;
    }

    public int tokensPerTurn() {
        return tokensPerTurn;
    }

    public String actionName(int a) {
        return a < actionNames.length ? actionNames[a] : "a" + a;
    }

    public boolean terminal(int s) {
        return saStart[s + 1] == saStart[s];
    }

    public int actionCount(int s) {
        return saStart[s + 1] - saStart[s];
    }

    /** Index of pair ({@code s}, {@code a}). */
    public int pair(int s, int a) {
        return saStart[s] + a;
    }

    public int actionStart(int s) {
        return saStart[s];
    }

    public int turn(int s) {
        return turn[s];
    }

    public int tokenInTurn(int s) {
        return token[s];
    }

    /** Policy row of {@code s} (observation and turn), -1 for terminal states. */
    public int feature(int s) {
        return feature[s];
    }

    public String featureKey(int f) {
        return featureKeys[f];
    }

    public String observation(int s) {
        return observation[s];
    }

    public String agent(int s) {
        return agent[s];
    }

    public int distractorBits(int s) {
        return distractorBits[s];
    }

    public double outcome(int s) {
        return outcome[s];
    }

    public boolean success(int s) {
        return success[s];
    }

    public double verifier(int sa) {
        return verifier[sa];
    }

    public boolean prmBiased(int sa) {
        return prmBiased[sa];
    }

    public int transitionStart(int sa) {
        return trStart[sa];
    }

    public int transitionEnd(int sa) {
        return trStart[sa + 1];
    }

    public int next(int tr) {
        return next[tr];
    }

    public double probability(int tr) {
        return prob[tr];
    }

    public double rewardMean(int tr) {
        return rewardMean[tr];
    }

    public RewardNoise rewardNoise(int tr) {
        return rewardNoise[tr];
    }

    public double rewardScale(int tr) {
        return rewardScale[tr];
    }

    /** Start states (read-only). */
    public int[] startStates() {
        return startStates;
    }

    /** Start probabilities, parallel to {@link #startStates()} (read-only). */
    public double[] startProbs() {
        return startProbs;
    }

    /** True when some transition pays a step reward (or step-reward noise). */
    public boolean hasStepRewards() {
        return hasStepRewards;
    }

    public boolean hasVerifier() {
        return hasVerifier;
    }

    public boolean hasAgents() {
        return hasAgents;
    }

    public int maxActions() {
        return maxActions;
    }

    /** Largest turn index of any state (terminal states included). */
    public int maxTurnIndex() {
        return maxTurns;
    }
}
