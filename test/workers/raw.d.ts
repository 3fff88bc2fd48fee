// Vite ?raw imports (fixtures read as text inside workerd).
declare module "*?raw" {
  const text: string;
  export default text;
}
