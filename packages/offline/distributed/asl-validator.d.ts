// asl-validator ships no declarations: the part of its API the offline runner calls.
declare module 'asl-validator' {
  interface AslValidatorError {
    readonly 'Error code': string;
    readonly Message: string;
  }
  function validator(
    definition: object,
    options?: { checkArn?: boolean; checkPaths?: boolean },
  ): { isValid: boolean; errors: AslValidatorError[] };
  export = validator;
}
