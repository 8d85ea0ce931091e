package dev.apportion.catalog;

/**
 * One answered question on the path through the decision tree.
 *
 * @param question the question id
 * @param text the question
 * @param answer the answer as given ("yes", "no", "3 agents", "12 turns")
 * @param outcome what the answer decided ("-> TD / value / retrospective-critic credit", "multi-turn"), or ""
 */
public record PathStep(String question, String text, String answer, String outcome) {}
