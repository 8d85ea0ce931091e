package dev.apportion.catalog;

/**
 * One question of the decision tree.
 *
 * @param id {@code verifier}, {@code branching}, {@code critic}, {@code agents} or {@code horizon}
 * @param text the question
 */
public record DecisionQuestion(String id, String text) {}
