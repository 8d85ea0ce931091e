package dev.apportion.catalog;

/**
 * The setting a paper trains or studies: reasoning (credit inside one generation), agentic
 * (multi-turn interaction with an environment or tools), multi-agent (several agents share a
 * reward), or other (classical RL, robots, image or video generators, work outside RL).
 */
public enum Regime {
    REASONING,
    AGENTIC,
    MULTI_AGENT,
    OTHER;

    public String wireName() {
        return WireEnum.wire(this);
    }
}
