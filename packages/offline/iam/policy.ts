// The IAM policy shapes the model carries. Deliberately loose beyond the envelope: the simulator
// validates statements, and rejects what IAM would reject.

export interface PolicyStatement {
  Sid?: string;
  Effect: string;
  [element: string]: unknown;
}

export interface PolicyDocument {
  Version?: string;
  Statement: PolicyStatement[];
}

/** A policy as IAM names it: an inline policy's PolicyName, or a descriptive name. */
export interface NamedPolicy {
  name: string;
  document: PolicyDocument;
}
